// The dashboard's browser code (browser/app.ts), bundled into a string at
// build time by scripts/build-dashboard.mjs as dist/src/dashboard/app-script.js.
export declare const APP_JS: string;
