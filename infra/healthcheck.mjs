// The image's HEALTHCHECK: GET /healthz of this container's service. watcher and worker serve it on
// HEALTH_PORT (set it for them); the api on API_PORT (HEALTH_PORT unset or 0). Exit 0 healthy, 1 not.
const port = Number(process.env.HEALTH_PORT) || Number(process.env.API_PORT) || 8787;
try {
  const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(4000) });
  process.exit(res.ok ? 0 : 1);
} catch {
  process.exit(1);
}
