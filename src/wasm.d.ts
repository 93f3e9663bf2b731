// Webpack's asset/resource rule turns a .wasm import into its URL.
declare module '*.wasm' {
  const url: string;
  export default url;
}

// vega-embed ships ES modules with an `exports` map, which this project's
// `moduleResolution: node` does not read; the bundler does. What src/charts/vega.ts uses:
declare module 'vega-embed' {
  export interface IEmbedResult {
    finalize(): void;
  }
  export default function embed(
    element: HTMLElement,
    spec: object,
    options?: { actions?: boolean; renderer?: 'svg' | 'canvas' }
  ): Promise<IEmbedResult>;
}
