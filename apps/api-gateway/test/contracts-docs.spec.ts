import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { operations } from '@gad/contracts';
import { DocsModule } from '../src/docs/docs.module';

// @fastify/static (Swagger UI assets) requires the ESM-only content-disposition 3, which Node 20.19+
// loads natively (require(esm)) but Jest's module runtime cannot. It is only used by
// `reply.download()`, which Swagger's static serving (decorateReply: false) never calls.
jest.mock('content-disposition', () => ({ create: () => 'attachment' }));

/** The docs routes of the api-gateway, on a real Fastify instance (no network needed: inject). */
describe('DocsModule (/docs, /docs/asyncapi)', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    app = await NestFactory.create<NestFastifyApplication>(DocsModule, new FastifyAdapter(), {
      logger: false,
    });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });
  afterAll(() => app?.close());

  const get = (url: string, accept = '*/*') =>
    app.getHttpAdapter().getInstance().inject({ method: 'GET', url, headers: { accept } });

  it('serves Swagger UI with its assets at /docs', async () => {
    const page = await get('/docs', 'text/html');
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.body).toContain('swagger-ui');
    const init = await get('/docs/swagger-ui-init.js');
    expect(init.statusCode).toBe(200);
    expect(init.body).toContain('createIncident');
    const bundle = await get('/docs/swagger-ui-bundle.js');
    expect(bundle.statusCode).toBe(200);
  });

  it('serves the OpenAPI 3.1 document with every operation of the registry', async () => {
    const response = await get('/docs/openapi.json');
    expect(response.statusCode).toBe(200);
    const document = response.json<{ openapi: string; paths: Record<string, object> }>();
    expect(document.openapi).toBe('3.1.0');
    for (const operation of Object.values(operations)) {
      expect(document.paths[operation.path]).toHaveProperty(operation.method.toLowerCase());
    }
  });

  it('serves the AsyncAPI document as JSON, and a page to browsers', async () => {
    const json = await get('/docs/asyncapi');
    expect(json.statusCode).toBe(200);
    expect(json.json<{ asyncapi: string }>().asyncapi).toBe('3.0.0');
    expect((await get('/docs/asyncapi.json')).json<{ asyncapi: string }>().asyncapi).toBe('3.0.0');
    const page = await get('/docs/asyncapi', 'text/html,application/xhtml+xml');
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.body).toContain('gad:dispatch:events');
    expect(page.body).toContain('/field');
  });
});
