import { generateKeyPairSync, sign } from 'node:crypto';
import twilio from 'twilio';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  metaSignature,
  plausibleSigningCertUrl,
  snsKeyFromPem,
  snsStringToSign,
  twilioSignature,
  validMetaSignature,
  validSnsSignature,
  validTwilioSignature,
} from '../../../src/compliance/feedback/signatures.js';

describe('Twilio X-Twilio-Signature', () => {
  const token = 'twilio-auth-token-0123456789';
  it('agrees with the Twilio SDK\'s own validator', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.stringMatching(/^[A-Za-z]{1,12}$/), fc.string({ maxLength: 30 }), { maxKeys: 8 }), fc.webPath(), (params, p) => {
        const url = `https://hooks.example.com${p || '/'}?d=c1_r2_a1`;
        const sig = twilioSignature(url, params, token);
        expect(twilio.validateRequest(token, sig, url, params)).toBe(true);
        expect(validTwilioSignature(sig, url, params, token)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
  it('rejects a wrong token, a changed parameter, another URL, a missing header', () => {
    const url = 'https://hooks.example.com/feedback/twilio/inbound';
    const params = { From: '+15551234567', Body: 'STOP' };
    const sig = twilioSignature(url, params, token);
    expect(validTwilioSignature(sig, url, { ...params, Body: 'START' }, token)).toBe(false);
    expect(validTwilioSignature(sig, url + '?x=1', params, token)).toBe(false);
    expect(validTwilioSignature(twilioSignature(url, params, 'other-token-000000'), url, params, token)).toBe(false);
    expect(validTwilioSignature(undefined, url, params, token)).toBe(false);
  });
});

describe('Meta X-Hub-Signature-256', () => {
  it('checks the HMAC of the raw body', () => {
    const body = Buffer.from('{"object":"whatsapp_business_account","entry":[]}');
    const sig = metaSignature(body, 'app-secret');
    expect(sig).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(validMetaSignature(sig, body, 'app-secret')).toBe(true);
    expect(validMetaSignature(sig.toUpperCase().replace('SHA256', 'sha256'), body, 'app-secret')).toBe(true);
    expect(validMetaSignature(sig, Buffer.from(body.toString() + ' '), 'app-secret')).toBe(false);
    expect(validMetaSignature(sig, body, 'other')).toBe(false);
    expect(validMetaSignature('sha256=00', body, 'app-secret')).toBe(false);
  });
});

describe('SNS message signatures (pinned key)', () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const key = snsKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString());
  const message = (extra: Record<string, string> = {}) => {
    const m: Record<string, string> = {
      Type: 'Notification',
      MessageId: 'b1e1-…',
      TopicArn: 'arn:aws:sns:eu-west-1:123456789012:ses-feedback',
      Message: '{"eventType":"Delivery"}',
      Timestamp: '2026-06-01T12:00:00.000Z',
      SignatureVersion: '2',
      SigningCertURL: 'https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-abc.pem',
      ...extra,
    };
    m.Signature = sign('sha256', Buffer.from(snsStringToSign(m)), privateKey).toString('base64');
    return m;
  };
  it('accepts a genuine message and rejects a tampered one', () => {
    const m = message();
    expect(validSnsSignature(m, key)).toBe(true);
    expect(validSnsSignature({ ...m, Message: '{"eventType":"Bounce"}' }, key)).toBe(false);
    expect(validSnsSignature({ ...m, TopicArn: 'arn:aws:sns:eu-west-1:999999999999:evil' }, key)).toBe(false);
    expect(validSnsSignature({ ...m, SignatureVersion: '3' }, key)).toBe(false);
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
    expect(validSnsSignature(m, snsKeyFromPem(other.publicKey.export({ type: 'spki', format: 'pem' }).toString()))).toBe(false);
  });
  it('signs the subject when present, and only the SNS certificate host is plausible', () => {
    expect(snsStringToSign({ Type: 'Notification', Message: 'm', MessageId: 'i', Subject: 's', Timestamp: 't', TopicArn: 'a' })).toBe('Message\nm\nMessageId\ni\nSubject\ns\nTimestamp\nt\nTopicArn\na\nType\nNotification\n');
    expect(plausibleSigningCertUrl('https://sns.us-east-1.amazonaws.com/SimpleNotificationService-x.pem')).toBe(true);
    expect(plausibleSigningCertUrl('http://sns.us-east-1.amazonaws.com/x.pem')).toBe(false);
    expect(plausibleSigningCertUrl('https://sns.us-east-1.amazonaws.com.evil.example/x.pem')).toBe(false);
  });
});
