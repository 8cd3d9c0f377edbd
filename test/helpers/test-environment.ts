// Runs in every test worker before any module loads (jest `setupFiles`).

// The functions' JSON logs would drown the test report; tests that inspect logs raise the level
// on the shared logger themselves.
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
// Lambda runs the functions on Node.js 24; the SDK's notice about running on Node.js 20 is noise.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// Metrics print embedded-metric-format lines to stdout; tests that read them enable them
// themselves and capture the output.
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
