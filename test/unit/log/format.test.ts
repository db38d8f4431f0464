import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chooseLogFormat } from '../../../src/log/format.ts';
import { createLogger } from '../../../src/log/logger.ts';
import { prettyLine } from '../../../src/log/pretty.ts';
import { safeUrl } from '../../../src/log/safe-url.ts';

test('npm start prints readable lines in the sandbox and on a terminal, JSON for a service manager; LOG_FORMAT decides when set', () => {
  assert.equal(chooseLogFormat({ configured: 'auto', sandbox: true, stdoutIsTty: false }), 'pretty');
  assert.equal(chooseLogFormat({ configured: 'auto', sandbox: false, stdoutIsTty: true }), 'pretty');
  assert.equal(chooseLogFormat({ configured: 'auto', sandbox: false, stdoutIsTty: false }), 'json');
  assert.equal(chooseLogFormat({ configured: 'json', sandbox: true, stdoutIsTty: true }), 'json');
  assert.equal(chooseLogFormat({ configured: 'pretty', sandbox: false, stdoutIsTty: false }), 'pretty');
});

test('a readable line shows time, level, component and message, then the fields; secrets stay redacted', () => {
  const out: string[] = [];
  const logger = createLogger({ level: 'info', format: 'pretty', destination: { write: (l: string) => void out.push(l) } });
  logger.child({ component: 'line-flush', jobId: 7 }).warn({ conversationId: 'shop:42', access_token: 'AT-SECRET', note: 'two words' }, 'item refused by the line');
  assert.equal(out.length, 1);
  assert.match(out[0]!, /^\d\d:\d\d:\d\d\.\d{3} WARN {2}line-flush: item refused by the line {2}jobId=7 conversationId=shop:42 access_token=\[redacted\] note="two words"\n$/);
  assert.ok(!out[0]!.includes('AT-SECRET'));
  assert.equal(prettyLine('not json'), 'not json\n');
});

test('a logged URL keeps its path and harmless query values; a media link\'s sig and any token are redacted', () => {
  assert.equal(safeUrl('/media/abc/file.pdf?exp=1700000000&sig=Zm9v'), '/media/abc/file.pdf?exp=1700000000&sig=[redacted]');
  assert.equal(safeUrl('/admin/skipped-updates?reason=polling_backlog&access_token=T'), '/admin/skipped-updates?reason=polling_backlog&access_token=[redacted]');
  assert.equal(safeUrl('/bitrix24/settings?AUTH_ID=a&APP_SID=b&DOMAIN=x.bitrix24.ru'), '/bitrix24/settings?AUTH_ID=[redacted]&APP_SID=[redacted]&DOMAIN=x.bitrix24.ru');
  assert.equal(safeUrl('/rest/1/webhooksecret/crm.lead.get'), '/rest/1/[redacted]/crm.lead.get');
  assert.equal(safeUrl('/health'), '/health');
  assert.equal(safeUrl('/x?%E0%A4%A=v'), '/x?%E0%A4%A=[redacted]');
});
