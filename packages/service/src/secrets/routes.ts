import type { FastifyInstance } from "fastify";
import type { Services } from "../http/context.js";
import { badRequest } from "../http/errors.js";
import { STACK, describeStack, stackRef } from "../stacks/routes.js";

const b64 = { type: "string" } as const;

/** Secrets calls also answer on a renamed stack's old name, as ciphertexts in old state name it. */
export function registerSecretsRoutes(app: FastifyInstance, s: Services): void {
  const { secrets } = s;
  const decrypted = "reads only; decryptions are logged through the log-decryption calls";

  app.post(`${STACK}/encrypt`, { schema: { body: { type: "object", required: ["plaintext"], properties: { plaintext: b64 } } }, config: { auditExempt: "idempotent pure function of the stack key; writes nothing but the stack's key on first use" } }, async (req) => {
    const ref = await stackRef(s, req, "write", { aliases: true });
    const [ciphertext] = await secrets.encrypt(ref.stack.id, [(req.body as { plaintext: string }).plaintext]);
    return { ciphertext };
  });

  app.post(`${STACK}/batch-encrypt`, { schema: { body: { type: "object", required: ["plaintexts"], properties: { plaintexts: { type: "array", items: b64 } } } }, config: { auditExempt: "as encrypt" } }, async (req) => {
    const ref = await stackRef(s, req, "write", { aliases: true });
    return { ciphertexts: await secrets.encrypt(ref.stack.id, (req.body as { plaintexts: string[] }).plaintexts) };
  });

  app.post(`${STACK}/decrypt`, { schema: { body: { type: "object", required: ["ciphertext"], properties: { ciphertext: b64 } } }, config: { auditExempt: decrypted } }, async (req) => {
    const ref = await stackRef(s, req, "read", { aliases: true });
    const [plaintext] = await secrets.decrypt(ref.stack.id, [(req.body as { ciphertext: string }).ciphertext]);
    return { plaintext };
  });

  app.post(`${STACK}/batch-decrypt`, { schema: { body: { type: "object", required: ["ciphertexts"], properties: { ciphertexts: { type: "array", items: b64 } } } }, config: { auditExempt: decrypted } }, async (req) => {
    const ref = await stackRef(s, req, "read", { aliases: true });
    const cts = (req.body as { ciphertexts: string[] }).ciphertexts;
    const pts = await secrets.decrypt(ref.stack.id, cts);
    const plaintexts: Record<string, string> = {};
    cts.forEach((c, i) => (plaintexts[c] = pts[i]!));
    return { plaintexts };
  });

  app.post(`${STACK}/decrypt/log-decryption`, { config: { audit: { event: "Secret Decrypted" } } }, async (req, reply) => {
    const ref = await stackRef(s, req, "read", { aliases: true });
    const name = (req.body as { secretName?: unknown } | undefined)?.secretName;
    req.auditEntry = { orgId: ref.org.id, description: `Decrypted secret value${typeof name === "string" ? ` "${name}"` : ""} for stack "${describeStack(ref)}"` };
    return reply.code(204).send();
  });

  app.post(`${STACK}/decrypt/log-batch-decryption`, { config: { audit: { event: "Secrets Decrypted" } } }, async (req, reply) => {
    const ref = await stackRef(s, req, "read", { aliases: true });
    const cmd = (req.body as { commandName?: unknown } | undefined)?.commandName;
    if (cmd !== undefined && typeof cmd !== "string") throw badRequest("commandName must be a string");
    req.auditEntry = { orgId: ref.org.id, description: `Decrypted secret values for stack "${describeStack(ref)}"${cmd ? ` (${cmd})` : ""}` };
    return reply.code(204).send();
  });
}
