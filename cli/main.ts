import { processIo } from './io';

// The SDK's notice about Node.js 20 support is meant for services, not for an operator's shell.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// A local audit runs the audit handler here; its JSON log lines and embedded-format metrics
// would mix into the answer on stdout.
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';

/**
 * The process entry of `leaf-cnhi` (started by cli/leaf-cnhi.mjs). The commands are loaded after
 * the environment above is set, since the logger reads its level when it is created.
 */
const main = async (): Promise<void> => {
  // A reader that stops early (`| head`) closes the pipe; what is left unread is not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    process.exit(error.code === 'EPIPE' ? 0 : 1);
  });
  const { run } = await import('./run');
  const io = processIo();
  const code = await run(process.argv.slice(2), io);
  // Exit once stdout has drained, or a long JSON answer piped to another program could be cut;
  // exiting also ends any socket a client kept alive.
  process.stdout.write('', () => process.exit(code));
};

main().catch((error: unknown) => {
  process.stderr.write(`leaf-cnhi: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
