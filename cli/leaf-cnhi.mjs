#!/usr/bin/env node
// The bin of the package. The command is TypeScript, like the rest of the repository; tsx
// compiles it as it loads. tsx is resolved next to this file (through the symlink `npm link`
// makes, too), so the command works from any directory.
try {
  await import('tsx');
} catch {
  const { fileURLToPath } = await import('node:url');
  const root = fileURLToPath(new URL('..', import.meta.url));
  process.stderr.write(`leaf-cnhi: tsx is missing; run \`npm ci\` in ${root}\n`);
  process.exit(2);
}
await import('./main.ts');
