// Webpack's asset/resource rule turns a .wasm import into its URL.
declare module '*.wasm' {
  const url: string;
  export default url;
}
