#!/usr/bin/env node
// The installed command: runs the TypeScript sources through tsx's loader.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('./main.ts');
runCli(process.argv.slice(2));
