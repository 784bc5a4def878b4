/** The fake provider servers in one import (see the comment at the top of ./http.ts for faults). */
export { closedPort, seededRandom, type Fault, type FakeServer, type FakeOptions, type RequestLog } from './http.js';
export { startFakeSes, type FakeSes, type FakeSesOptions, type SesReceipt } from './ses.js';
export { FAKE_TWILIO_SID, startFakeTwilio, type FakeTwilio, type FakeTwilioOptions, type TwilioReceipt } from './twilio.js';
export { startFakeMeta, type FakeMeta, type FakeMetaOptions, type MetaReceipt } from './meta.js';
export { startFakeWebhook, type WebhookReceipt } from './webhook.js';
