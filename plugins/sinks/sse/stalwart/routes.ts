import type { FastifyInstance, onRequestAsyncHookHandler } from "fastify";
import type { StalwartLogin } from "./login.js";

/** Login bodies are a few hundred bytes; anything much larger is not WebAdmin. */
const LOGIN_BODY_BYTES = 8192;

/**
 * WebAdmin's login endpoints (login.ts). `/api/oauth` is behind the sink's credentials;
 * `/auth/token` is not (the code is the credential). Its body is urlencoded, and browsers
 * send it as text/plain (WebAdmin sets no content type), so both are read as text.
 */
export function registerStalwartLogin(
  app: FastifyInstance,
  paths: { oauth: string; token: string },
  login: StalwartLogin,
  guard: onRequestAsyncHookHandler,
): void {
  app.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string", bodyLimit: LOGIN_BODY_BYTES }, (_req, body, done) => done(null, body));
  app.post(paths.oauth, { onRequest: guard, bodyLimit: LOGIN_BODY_BYTES }, async () => ({ data: login.issueCode() }));
  app.post(paths.token, { bodyLimit: LOGIN_BODY_BYTES }, async (req, reply) => {
    const body = typeof req.body === "string" ? req.body : "";
    const grant = login.exchange(body);
    if ("error" in grant) return reply.code(400).header("cache-control", "no-store").send(grant);
    return reply.header("cache-control", "no-store").send(grant);
  });
}
