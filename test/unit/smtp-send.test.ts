import { describe, expect, it } from 'vitest';
import { plainEnvelope, plainSender } from '../../src/services/email/smtp-send.js';

describe('plainSender', () => {
  it('takes the address out of a From value with a display name, or as it is', () => {
    expect(plainSender('Signup Pipeline <welcome@signup-pipeline.invalid>')).toBe('welcome@signup-pipeline.invalid');
    expect(plainSender('"Pipeline, Signup" <welcome@example.com>')).toBe('welcome@example.com');
    expect(plainSender('welcome@example.com')).toBe('welcome@example.com');
  });

  it('gives nothing for an address sendMail would convert, or for more than one address', () => {
    expect(plainSender('Welcome <welcome@bücher.example>')).toBeUndefined();
    expect(plainSender('a@example.com, b@example.com')).toBeUndefined();
    expect(plainSender('no address here')).toBeUndefined();
  });
});

describe('plainEnvelope', () => {
  it('is the envelope when both addresses are plain ASCII', () => {
    expect(plainEnvelope('welcome@example.com', 'Alice.Smith+news@mail.example.co.uk')).toEqual({ from: 'welcome@example.com', to: 'Alice.Smith+news@mail.example.co.uk' });
  });

  it('is undefined, so that sendMail works the envelope out, for an international address or no plain sender', () => {
    expect(plainEnvelope('welcome@example.com', 'jörg@example.com')).toBeUndefined();
    expect(plainEnvelope('welcome@example.com', 'alice@bücher.example')).toBeUndefined();
    expect(plainEnvelope(undefined, 'alice@example.com')).toBeUndefined();
  });
});
