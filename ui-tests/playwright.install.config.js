/**
 * The install check (scripts/check-install.sh): a page load of a JupyterLab that the
 * script started with the built wheel. Plain Playwright, not Galata: the server is a
 * user's, configured like one (no Galata helpers in the page).
 */
module.exports = {
  testDir: './install',
  timeout: 180 * 1000,
  expect: { timeout: 60 * 1000 },
  retries: 0,
  workers: 1,
  reporter: [['list']],
  use: {
    video: 'off',
    trace: 'retain-on-failure',
    actionTimeout: 30 * 1000,
    navigationTimeout: 90 * 1000,
    launchOptions: require('./chromium.js')
  }
};
