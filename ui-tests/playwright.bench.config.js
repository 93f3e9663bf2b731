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
    // The same port as the UI tests' (PLUMBLINE_UI_PORT): two checkouts bench side by side.
    command: `jupyter lab --config bench/jupyter_server_bench_config.py --allow-root --ServerApp.port=${process.env.PLUMBLINE_UI_PORT || '8888'}`
  }
};
