// sql.js ships its SQLite engine as WebAssembly; emit it as a hashed asset of
// the extension so the browser loads it from our own static folder.
module.exports = {
  module: { rules: [{ test: /\.wasm$/, type: 'asset/resource' }] }
};
