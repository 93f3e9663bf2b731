/**
 * How every UI test starts its browser: Debian's chromium, never a downloaded one
 * (see ../shared notes on the toolchain), without the background traffic a closed
 * network refuses.
 */
module.exports = {
  executablePath: '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run'
  ]
};
