import { describe, expect, it } from 'vitest';
import { buildAgentInvite, formatNameAddr, isValidConversationId } from '../../gateway/call/agent-invite.js';
import type { InboundInvite } from '../../gateway/call/ports.js';
import { compileHeaderTemplates } from '../../gateway/call/template.js';

const invite: InboundInvite = {
  sipCallId: 'a84b4c76e66710@pc33.carrier.example',
  requestUri: 'sip:+4930123@baton.example',
  from: {
    uri: 'sip:+15550100@carrier.example;user=phone',
    user: '+15550100',
    displayName: 'Alice "A" Smith',
  },
  to: { uri: 'sip:+4930123@baton.example', user: '+4930123' },
  sdp: 'v=0\r\n',
  source: { address: '203.0.113.5', port: 5060, protocol: 'udp' },
};

describe('the INVITE to the AI agent', () => {
  it('carries the caller and callee, Baton’s context headers and the configured ones', () => {
    const { request, skippedHeaders } = buildAgentInvite({
      callId: 'call-1',
      conversationId: 'conv-1',
      trunk: 'carrier-a',
      invite,
      agentUri: 'sip:agent@10.0.0.5:5070',
      headerTemplates: compileHeaderTemplates(
        { 'User-to-User': '{{call.to.user}};encoding=hex', 'X-Baton-Call-Id': 'spoofed' },
        'aiAgent.headers',
      ),
    });
    expect(skippedHeaders).toEqual([]);
    expect(request).toEqual({
      uri: 'sip:agent@10.0.0.5:5070',
      from: '"Alice \\"A\\" Smith" <sip:+15550100@carrier.example;user=phone>',
      to: '<sip:+4930123@baton.example>',
      headers: {
        'User-to-User': '+4930123;encoding=hex',
        // A configured header cannot shadow Baton's own.
        'X-Baton-Call-Id': 'call-1',
        'X-Baton-Conversation-Id': 'conv-1',
        'X-Baton-Trunk': 'carrier-a',
      },
      sdp: 'v=0\r\n',
    });
  });

  it('has no trunk header when the call matched no trunk', () => {
    const { request } = buildAgentInvite({
      callId: 'c',
      conversationId: 'v',
      trunk: undefined,
      invite,
      agentUri: 'sip:agent@10.0.0.5',
      headerTemplates: [],
    });
    expect(request.headers).not.toHaveProperty('X-Baton-Trunk');
  });

  it.each([
    [{ uri: 'sip:a@b', user: 'a' }, '<sip:a@b>'],
    [{ uri: 'sip:a@b', user: 'a', displayName: 'Bob' }, '"Bob" <sip:a@b>'],
    [{ uri: 'sip:a@b', user: 'a', displayName: 'back\\slash' }, '"back\\\\slash" <sip:a@b>'],
  ])('formatNameAddr(%j) = %s', (party, expected) => {
    expect(formatNameAddr(party)).toBe(expected);
  });

  it.each([
    ['6f1c2b9e-1d4a-4c1e-9a57-1b2c3d4e5f60', true],
    ['ivr:session.42', true],
    ['', false],
    ['has space', false],
    ['x'.repeat(129), false],
    ['semi;colon', false],
  ])('conversation id %j valid: %s', (id, ok) => {
    expect(isValidConversationId(id)).toBe(ok);
  });
});
