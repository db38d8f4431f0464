/**
 * The baseline for the intake ratio: the same HTTP library (Fastify) answering
 * 200 on the webhook path and doing nothing else. Prints `READY <url>`.
 */
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.post('/max/webhook/:botId', async (_request, reply) => reply.code(200).send({ ok: true }));
await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`READY http://127.0.0.1:${(app.server.address() as { port: number }).port}\n`);
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
