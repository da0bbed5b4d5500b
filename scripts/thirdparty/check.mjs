// Subscribes to a running `sfcdc sim` with the third-party Node client
// `salesforce-pubsub-api-client` (gRPC via @grpc/grpc-js, Avro via avro-js)
// and prints one JSON line per decoded event. Usage:
//   node check.mjs '<first line printed by sfcdc sim>' <topic> <count>
// Exits 0 once <count> events were decoded, 1 on any error or after 60 s.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import PubSubApiClient from 'salesforce-pubsub-api-client';

const [bannerJSON, topic = '/data/ChangeEvents', countArg = '10'] = process.argv.slice(2);
const banner = JSON.parse(bannerJSON);
const count = Number(countArg);

// The client trusts only the CA bundle shipped in the package, so the
// simulator's CA is appended to that bundle: TLS verification stays on.
if (banner.ca_file) {
  const pkgDir = path.dirname(createRequire(import.meta.url).resolve('salesforce-pubsub-api-client'));
  const bundle = fs.readdirSync(pkgDir).find((f) => f.startsWith('cacert') && f.endsWith('.pem'));
  const ca = fs.readFileSync(banner.ca_file, 'utf8');
  const bundlePath = path.join(pkgDir, bundle);
  if (!fs.readFileSync(bundlePath, 'utf8').includes(ca.trim())) fs.appendFileSync(bundlePath, '\n' + ca);
}

const silent = { debug() {}, info() {}, warn() {}, error: (...a) => console.error(...a) };
const client = new PubSubApiClient({
  authType: 'user-supplied',
  accessToken: banner.access_token,
  instanceUrl: banner.instance_url,
  organizationId: banner.tenant_id,
  pubSubEndpoint: banner.pubsub_addr,
}, silent);

setTimeout(() => { console.error(`timed out before ${count} events`); process.exit(1); }, 60_000).unref();

await client.connect();
let seen = 0;
client.subscribeFromEarliestEvent(topic, (sub, type, data) => {
  if (type === 'event') {
    seen++;
    const h = data.payload.ChangeEventHeader;
    console.log(JSON.stringify({
      replayId: data.replayId,
      entityName: h?.entityName,
      changeType: h?.changeType,
      recordIds: h?.recordIds,
      changedFields: h?.changedFields,
      nulledFields: h?.nulledFields,
      fieldCount: Object.keys(data.payload).length,
    }));
  } else if (type === 'lastEvent') {
    client.close();
    process.exit(seen === count ? 0 : 1);
  } else if (type === 'error' || type === 'end') {
    console.error(type, data);
    process.exit(1);
  }
}, count);
