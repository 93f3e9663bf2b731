/**
 * Playwright configuration of the UI benchmark. Run it through bench/sidebar.py,
 * which prepares the store and notebooks and prints the figures.
 */
const base = require('./playwright.config.js');

module.exports = {
  ...base,
  testDir: './bench',
  testMatch: /.*\.bench\.ts$/,
  reporter: [['list']],
  webServer: {
    ...base.webServer,
    command: 'jupyter lab --config bench/jupyter_server_bench_config.py --allow-root'
  }
};
