// The driver's Python source, bundled into the daemon as text by esbuild (loader '.py': 'text').
declare module '*.py' {
  const source: string;
  export default source;
}
