// Closed-loop HTTP load: C keep-alive connections issue GETs back to back for D seconds.
// usage: load.mjs URL TOKEN CONNECTIONS SECONDS  → prints {"requests","rps","errors"}
import http from "node:http";

const [url, token, c = "32", d = "3"] = process.argv.slice(2);
const u = new URL(url);
const agent = new http.Agent({ keepAlive: true, maxSockets: Number(c) });
const headers = { Authorization: `token ${token}`, Accept: "application/vnd.pulumi+9", "Content-Type": "application/json" };
let requests = 0, errors = 0;
const end = Date.now() + Number(d) * 1000;
const once = () => new Promise((resolve) => {
  const req = http.get({ host: u.hostname, port: u.port, path: u.pathname, headers, agent }, (res) => {
    if (res.statusCode !== 200) errors++;
    res.resume();
    res.on("end", resolve);
  });
  req.on("error", () => { errors++; resolve(); });
});
const loop = async () => { while (Date.now() < end) { await once(); requests++; } };
const t0 = Date.now();
await Promise.all(Array.from({ length: Number(c) }, loop));
const secs = (Date.now() - t0) / 1000;
process.stdout.write(JSON.stringify({ requests, rps: Math.round(requests / secs), errors }) + "\n");
agent.destroy();
