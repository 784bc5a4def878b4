import { channelSenderProblem } from '../sender-identity.js';
import { defineProviderType, topLevel } from '../spec.js';
import { twilioSettings, TWILIO_SECRETS } from './config.js';

export const twilioType = defineProviderType({
  type: 'twilio',
  channels: ['sms', 'whatsapp'],
  summary: 'Twilio Messaging (SMS, or WhatsApp with Content templates)',
  settings: twilioSettings,
  secretPaths: topLevel(...TWILIO_SECRETS),
  refine(entry, issue) {
    const token = entry.auth_token !== undefined;
    const key = entry.api_key_sid !== undefined || entry.api_key_secret !== undefined;
    if (token === key) issue([], 'give either auth_token, or api_key_sid with api_key_secret');
    else if (key && (entry.api_key_sid === undefined || entry.api_key_secret === undefined)) issue([entry.api_key_sid === undefined ? 'api_key_secret' : 'api_key_sid'], 'api_key_sid and api_key_secret go together');
  },
  // a messaging service SID sends through the service's own numbers
  checkSender: (id, channel) => (/^MG[0-9a-fA-F]{32}$/.test(id) ? undefined : channelSenderProblem(channel, id)),
  impliedSenders: (entry) => (typeof entry.messaging_service_sid === 'string' ? [entry.messaging_service_sid] : []),
  create: async (config, ctx) => (await import('./create.js')).createTwilioProvider(config, ctx),
});
