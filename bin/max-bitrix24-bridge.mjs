#!/usr/bin/env node
// The installed command (`npx max-bitrix24-bridge <command>`, or on PATH after `npm install -g`):
// the same CLI as `npm run bridge -- <command>` (src/cli/bridge.ts), its TypeScript run by tsx.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/bridge.ts');
