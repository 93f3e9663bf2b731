/**
 * Configuration for Playwright using default from @jupyterlab/galata
 */
const baseConfig = require('@jupyterlab/galata/lib/playwright-config');

// PLUMBLINE_UI_PORT lets two checkouts run their UI tests side by side.
const port = process.env.PLUMBLINE_UI_PORT || '8888';

module.exports = {
  ...baseConfig,
  testDir: './tests', // install/ is scripts/check-install.sh's, bench/ is bench/sidebar.py's
  // A real kernel on a 2-core machine: be generous, never rely on retries.
  timeout: 180 * 1000,
  expect: { timeout: 30 * 1000 },
  retries: 0,
  workers: 1,
  reporter: [['list'], ['html', { open: 'never' }]],
  use: {
    ...baseConfig.use,
    baseURL: `http://localhost:${port}`,
    // Galata records videos by default, which needs Playwright's ffmpeg download.
    video: 'off',
    trace: 'retain-on-failure',
    actionTimeout: 30 * 1000,
    navigationTimeout: 60 * 1000,
    launchOptions: require('./chromium.js')
  },
  webServer: {
    command: `jlpm start --ServerApp.port=${port}`,
    url: `http://localhost:${port}/lab`,
    timeout: 180 * 1000,
    // Never test against a server that is already there (the demo, with its real store).
    reuseExistingServer: false
  }
};
