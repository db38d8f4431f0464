/**
 * Client files end to end (bridge + both emulators over HTTP, SQLite and
 * PostgreSQL): an image, a video, an audio and a file written to the bot are
 * downloaded from MAX at once, re-hosted at signed, expiring bridge URLs, and
 * the emulated portal fetches them itself — the same bytes. Tampered or
 * expired links are refused with a code.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MediaSigner } from '../../src/media/signed-url.ts';
import { testEngines } from '../helpers/databases.ts';
import { sandboxFor, until } from '../helpers/e2e.ts';

for (const engine of testEngines()) {
  describe(`client files to the Open Line (${engine.name})`, () => {
    const sandboxOf = sandboxFor(engine, 'bridge-e2e-media-');

    test('each attachment type arrives intact, fetched by the portal from a signed bridge URL', async () => {
      const contents = {
        image: Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex'),
        video: Buffer.from('\u0000\u0000\u0000\u0018ftypmp42 видео-байты'),
        audio: Buffer.from('ID3 аудио-байты'),
        file: Buffer.from('%PDF-1.4 договор поставки'),
      };
      const names = { image: 'фото.png', video: 'ролик.mp4', audio: 'голос.mp3', file: 'договор.pdf' };
      const mimes = { image: 'image/png', video: 'video/mp4', audio: 'audio/mpeg', file: 'application/pdf' };
      for (const type of ['image', 'video', 'audio', 'file'] as const) {
        const res = await fetch(`${sandboxOf().max.controlUrl}/messages`, {
          method: 'POST', headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            user: { user_id: 6201, first_name: 'Кира' }, text: type === 'image' ? 'Фото поломки' : null,
            attachments: [{ type, filename: names[type], content_type: mimes[type], content_base64: contents[type].toString('base64') }],
          }),
        });
        assert.equal(res.status, 200);
      }
      const portal = sandboxOf().bitrix24.context.portals[0]!;
      const files = await until(() => {
        const chat = [...portal.chats.values()].find((c) => c.externalUserId === '6201');
        const list = (chat?.messageIds ?? []).map((id) => portal.messages.get(id)!).flatMap((m) => m.files.map((f) => ({ f, text: m.text })));
        return list.length === 4 && list.every(({ f }) => f.fetchStatus !== undefined) ? list : undefined;
      });
      assert.equal(files[0]!.text, 'Фото поломки', 'the caption stays the text');
      for (const [i, type] of (['image', 'video', 'audio', 'file'] as const).entries()) {
        const { f } = files[i]!;
        assert.equal(f.fetchStatus, 200, `the portal fetched the ${type}`);
        assert.equal(f.name, { image: 'image.png', video: 'video.mp4', audio: 'audio.mp3', file: names.file }[type], 'MAX names documents only; the rest are named by their type');
        const copy = Buffer.from(await (await fetch(f.url)).arrayBuffer());
        assert.deepEqual(copy, contents[type], `the ${type} arrived byte for byte`);
      }
    });

    test('a client file with a name longer than 100 characters still reaches the Open Line under its full name', async () => {
      // 150 characters, Cyrillic, spaces and signs: Fastify answered 414 for a URL segment over 100.
      const longName = `${'Акт сверки взаиморасчётов № 17 (копия) & приложение '.repeat(3)}`.slice(0, 146) + '.pdf';
      assert.equal(longName.length, 150);
      const content = Buffer.from('%PDF-1.4 акт сверки');
      const res = await fetch(`${sandboxOf().max.controlUrl}/messages`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          user: { user_id: 6202, first_name: 'Лев' }, text: 'Акт во вложении',
          attachments: [{ type: 'file', filename: longName, content_type: 'application/pdf', content_base64: content.toString('base64') }],
        }),
      });
      assert.equal(res.status, 200);
      const portal = sandboxOf().bitrix24.context.portals[0]!;
      const file = await until(() => {
        const chat = [...portal.chats.values()].find((c) => c.externalUserId === '6202');
        const f = (chat?.messageIds ?? []).map((id) => portal.messages.get(id)!).flatMap((m) => m.files)[0];
        return f?.fetchStatus !== undefined ? f : undefined;
      });
      assert.equal(file.fetchStatus, 200, 'the portal fetched the file');
      assert.equal(file.name, longName, 'the operator sees the client\'s full name');
      assert.deepEqual(Buffer.from(await (await fetch(file.url)).arrayBuffer()), content);
    });

    test('a link handed out before, with the whole long name in its path, still serves the file under that name', async () => {
      const row = await sandboxOf().bridge!.store.db.selectFrom('media').select(['id', 'name']).where('name', 'like', 'Акт сверки%').executeTakeFirstOrThrow();
      const signer = new MediaSigner('sandbox-only-secret-key-not-for-production');
      const fresh = signer.url(sandboxOf().bridge!.url, row.id, row.name, Date.now() + 60_000);
      assert.ok(new URL(fresh).pathname.length < 160, `the new link is short: ${fresh}`);
      assert.ok(new URL(fresh).pathname.endsWith('.pdf'), 'and keeps the extension');
      const old = fresh.replace(/\/media\/([^/]+)\/[^?]*/, (_m, id: string) => `/media/${id}/${encodeURIComponent(row.name)}`);
      assert.ok(old.length > fresh.length + 100);
      const served = await fetch(old);
      assert.equal(served.status, 200);
      assert.match(served.headers.get('content-disposition') ?? '', new RegExp(`filename\\*=UTF-8''${encodeURIComponent(row.name).replace(/[()*]/g, '\\$&')}`));
      assert.equal((await fetch(fresh)).status, 200);
    });

    test('a tampered link is refused (403), an expired one is gone (410), an unknown id is 404; nothing else is served', async () => {
      const row = await sandboxOf().bridge!.store.db.selectFrom('media').select(['id', 'name']).executeTakeFirstOrThrow();
      const signer = new MediaSigner('sandbox-only-secret-key-not-for-production');
      const good = signer.url(sandboxOf().bridge!.url, row.id, row.name, Date.now() + 60_000);
      assert.equal((await fetch(good)).status, 200);
      const tampered = good.replace(/sig=([A-Za-z0-9_-])/, (_m, c: string) => `sig=${c === 'A' ? 'B' : 'A'}`);
      const refused = await fetch(tampered);
      assert.equal(refused.status, 403);
      assert.equal(((await refused.json()) as { error: string }).error, 'BRG_ERR_MEDIA_SIGNATURE');
      assert.equal((await fetch(good.replace(/&sig=.*/, ''))).status, 403);
      const expired = await fetch(signer.url(sandboxOf().bridge!.url, row.id, row.name, Date.now() - 1_000));
      assert.equal(expired.status, 410);
      assert.equal(((await expired.json()) as { error: string }).error, 'BRG_ERR_MEDIA_EXPIRED');
      assert.equal((await fetch(signer.url(sandboxOf().bridge!.url, 'no-such-id', 'x.bin', Date.now() + 60_000))).status, 404);
    });
  });
}
