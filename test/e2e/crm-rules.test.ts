/**
 * The CRM rules end to end (issue 17), bounded: for each mode a bridge and both emulators
 * over HTTP, clients writing over several Open Lines sessions — returning after a close,
 * sharing a phone, converted midway (lead, line) or with their deal won (contact_deal), on a
 * line whose tracker binds late — and the portal's CRM must hold exactly what the mode must
 * make: no duplicate, no orphan, each object carrying the clients' MAX user ids and their
 * deep-link source (chaos/crm-check.ts; `npm run crm-check` runs it at 1,000 sessions).
 * SQLite for every mode, PostgreSQL for the bridge-driven ones.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { planClients, runCrmCheck, type CheckedMode } from '../../chaos/crm-check.ts';
import { testEngines } from '../helpers/databases.ts';

const SCENARIO = { sessions: 90, clients: 32, seed: 3 };

test('the scenario has every kind of client the check is about', () => {
  const plans = planClients(SCENARIO);
  assert.equal(plans.reduce((n, p) => n + p.sessions, 0), SCENARIO.sessions);
  assert.ok(plans.filter((p) => p.sessions > 1).length >= 10, 'returning clients');
  assert.ok(plans.some((p) => p.partnerOf !== null), 'clients sharing a phone');
  assert.ok(plans.some((p) => p.closesAfterFirst), 'leads converted / deals won midway');
  assert.ok(plans.some((p) => p.bot.id === 'late'), 'clients on the late line');
  assert.ok(plans.some((p) => p.phone !== null && p.partnerOf === null), 'clients who share their own phone');
});

for (const engine of testEngines()) {
  const modes: CheckedMode[] = engine.name === 'sqlite' ? ['line', 'lead', 'contact_deal'] : ['lead', 'contact_deal'];
  describe(`CRM rules (${engine.name})`, { concurrency: false }, () => {
    for (const mode of modes) {
      test(`crm.mode ${mode}: exactly the expected leads, contacts and deals, each bound and carrying identity and source`, { timeout: 240_000 }, async () => {
        const result = await runCrmCheck({
          mode, ...SCENARIO, databaseUrl: await engine.createDatabase(), timeFactor: 0.05, concurrency: 8, waitMs: 60_000,
        });
        assert.deepEqual(result.problems, []);
        assert.deepEqual(result.found, result.expected);
        // Not vacuous: the CRM holds what the clients made.
        assert.ok(result.expected.leads + result.expected.contacts >= result.persons);
      });
    }
    after(() => engine.dropAll());
  });
}
