/**
 * What Baton sends to the AI agent for a new call: the Request-URI, the caller and callee
 * (From / To, RFC 3261 §8.1.1.2–3) and Baton's context headers plus the configured ones. Pure.
 */
import type { DialRequest, InboundInvite, SipParty } from './ports.js';
import { renderHeaders, type HeaderTemplates, type TemplateValues } from './template.js';

/** Baton's call id: the same value as in logs, metrics, the API and the store. */
export const CALL_ID_HEADER = 'X-Baton-Call-Id';
/**
 * The conversation the call belongs to. It outlives one call when an IVR hands a caller back with
 * the header it was given, so it is taken from the caller's INVITE when present.
 */
export const CONVERSATION_ID_HEADER = 'X-Baton-Conversation-Id';
/** The configured trunk the call came in on. */
export const TRUNK_HEADER = 'X-Baton-Trunk';

/** A conversation id from the network is echoed into headers and logs: keep it a short token. */
const CONVERSATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function isValidConversationId(value: string): boolean {
  return CONVERSATION_ID.test(value);
}

export interface AgentInviteInput {
  callId: string;
  conversationId: string;
  trunk: string | undefined;
  invite: InboundInvite;
  agentUri: string;
  headerTemplates: HeaderTemplates;
}

export interface AgentInvite {
  request: DialRequest;
  /** Configured headers left out because their value could not be rendered safely. */
  skippedHeaders: Array<{ name: string; reason: string }>;
}

export function buildAgentInvite(input: AgentInviteInput): AgentInvite {
  const { invite } = input;
  const values: TemplateValues = {
    'call.id': input.callId,
    'call.from.user': invite.from.user,
    'call.to.user': invite.to.user,
    conversationId: input.conversationId,
    trunk: input.trunk ?? '',
  };
  const rendered = renderHeaders(input.headerTemplates, values);
  // Baton's own headers last: a configured header of the same name cannot shadow them.
  const headers: Record<string, string> = {
    ...rendered.headers,
    [CALL_ID_HEADER]: input.callId,
    [CONVERSATION_ID_HEADER]: input.conversationId,
  };
  if (input.trunk !== undefined) headers[TRUNK_HEADER] = input.trunk;
  return {
    request: {
      uri: input.agentUri,
      from: formatNameAddr(invite.from),
      to: formatNameAddr({ uri: invite.to.uri, user: invite.to.user }),
      headers,
      sdp: invite.sdp,
    },
    skippedHeaders: rendered.skipped,
  };
}

/** `"Display" <uri>` (RFC 3261 §25.1 quoted-string: backslash-escape `"` and `\`). */
export function formatNameAddr(party: SipParty): string {
  const uri = `<${party.uri}>`;
  if (party.displayName === undefined || party.displayName === '') return uri;
  const quoted = party.displayName.replace(/[\\"]/g, (c) => `\\${c}`).replace(/[\r\n\0]/g, '');
  return `"${quoted}" ${uri}`;
}
