module.exports = 'sql-wasm.wasm';
