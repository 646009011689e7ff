import { problemSchema } from '@gad/contracts';
import { shutdownTelemetry, startTelemetry } from '@gad/observability';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { freePort } from '@gad/testing';
import { bootstrapService } from '../src';
import { FixtureModule, FixtureState } from './fixtures/fixture.module';

// Metrics need the global MeterProvider. (HTTP spans need the require hooks Jest bypasses: the
// trace id assertions live in service-process.integration-spec.ts.)
startTelemetry({
  serviceName: 'http-app-it',
  env: { OTEL_TRACES_EXPORTER: 'memory', LOG_LEVEL: 'fatal' },
});

const BODY_LIMIT = 1024;

describe('bootstrapService over real HTTP', () => {
  let app: NestFastifyApplication;
  let baseUrl: string;

  beforeAll(async () => {
    const port = await freePort();
    app = await bootstrapService({
      name: 'http-app-it',
      module: FixtureModule,
      port,
      host: '127.0.0.1',
      bodyLimitBytes: BODY_LIMIT,
      handleSignals: false,
    });
    baseUrl = `http://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    await app.close();
    await shutdownTelemetry();
  });

  afterEach(() => {
    app.get(FixtureState).healthy = true;
  });

  async function problem(response: Response) {
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    return problemSchema.passthrough().parse(await response.json());
  }

  const post = (path: string, body: string, contentType = 'application/json') =>
    fetch(`${baseUrl}${path}`, { method: 'POST', headers: { 'content-type': contentType }, body });

  it('answers an unknown route with 404 problem+json', async () => {
    const response = await fetch(`${baseUrl}/v1/nothing-here?limit=1`);

    expect(response.status).toBe(404);
    expect(await problem(response)).toMatchObject({
      status: 404,
      code: 'not_found',
      title: 'Not Found',
      instance: '/v1/nothing-here',
    });
  });

  it('answers an invalid body with 422 and JSON pointers into the body', async () => {
    const response = await post(
      '/fixture/places',
      JSON.stringify({ name: '', location: { type: 'Point', coordinates: [200, 10] } }),
    );

    expect(response.status).toBe(422);
    const body = await problem(response);
    expect(body.code).toBe('validation_failed');
    expect(body.errors?.map((error) => error.pointer).sort()).toEqual([
      '/body/location/coordinates/0',
      '/body/name',
    ]);
  });

  it('answers an invalid query with 422 pointing at the query parameter', async () => {
    const response = await fetch(`${baseUrl}/fixture/places?limit=500`);

    expect(response.status).toBe(422);
    expect((await problem(response)).errors).toEqual([
      expect.objectContaining({ pointer: '/query/limit', code: 'too_big' }),
    ]);
  });

  it('passes a valid request through the pipe with parsed values', async () => {
    const response = await fetch(`${baseUrl}/fixture/places?limit=7`);

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ limit: 7 });
  });

  it('answers an oversized body with 413 problem+json', async () => {
    const response = await post(
      '/fixture/places',
      JSON.stringify({ name: 'x'.repeat(BODY_LIMIT * 2) }),
    );

    expect(response.status).toBe(413);
    expect(await problem(response)).toMatchObject({ status: 413, code: 'payload_too_large' });
  });

  it('answers malformed JSON with 400 problem+json', async () => {
    const response = await post('/fixture/places', '{"name": "x",');

    expect(response.status).toBe(400);
    expect(await problem(response)).toMatchObject({ status: 400, code: 'bad_request' });
  });

  it('answers an unsupported content type with 415 problem+json', async () => {
    const response = await post('/fixture/places', '<place/>', 'application/xml');

    expect(response.status).toBe(415);
    expect(await problem(response)).toMatchObject({ code: 'unsupported_media_type' });
  });

  it('answers an unknown error with 500 problem+json that reveals nothing internal', async () => {
    const response = await fetch(`${baseUrl}/fixture/boom`);

    expect(response.status).toBe(500);
    const body = await problem(response);
    expect(body).toMatchObject({ code: 'internal_error', instance: '/fixture/boom' });
    expect(JSON.stringify(body)).not.toMatch(/hunter2|ECONNREFUSED|5432|stack/);
  });

  it('maps a domain exception to its status, code and extensions', async () => {
    const response = await fetch(`${baseUrl}/fixture/conflict`);

    expect(response.status).toBe(409);
    expect(await problem(response)).toMatchObject({
      code: 'place_locked',
      detail: 'Place is locked',
      lockedBy: 'u-1',
    });
  });

  it('echoes x-request-id', async () => {
    const response = await fetch(`${baseUrl}/health/live`, {
      headers: { 'x-request-id': 'req-123' },
    });

    expect(response.headers.get('x-request-id')).toBe('req-123');
  });

  it('reports readiness with every check, and 503 with the failing check and its message', async () => {
    const ready = await fetch(`${baseUrl}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      status: 'ok',
      checks: { fixture: { status: 'up', latencyMs: expect.any(Number) } },
    });

    app.get(FixtureState).healthy = false;
    const notReady = await fetch(`${baseUrl}/health/ready`);

    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toMatchObject({
      status: 'error',
      checks: { fixture: { status: 'down', error: 'fixture dependency unavailable' } },
    });
    expect((await fetch(`${baseUrl}/health/live`)).status).toBe(200);
  });

  it('serves Prometheus text on /metrics including a custom counter', async () => {
    const created = await post(
      '/fixture/places',
      JSON.stringify({ name: 'Plaza', location: { type: 'Point', coordinates: [-58.4, -34.6] } }),
    );
    expect(created.status).toBe(201);

    const response = await fetch(`${baseUrl}/metrics`);
    const body = await response.text();

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    expect(body).toMatch(/^fixture_places_created_total\{source="test".*\} 1$/m);
  });
});
