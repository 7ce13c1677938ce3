// Server error replies, in words a person understands.

const EXPLANATIONS = {
  too_long: (m) => `That message is too long to send. ${m}`,
  rate_limited: (m, e) => (Number.isFinite(e.retryAfterMs)
    ? `You are sending messages too fast. Try again in ${Math.max(1, Math.ceil(e.retryAfterMs / 1000))} s.`
    : 'You are sending messages too fast. Wait a moment, then try again.'),
  invalid_name: () => 'That name cannot be used: it needs at least one visible character.',
  invalid_room: () => "That is not a room name: use 1 to 32 letters, digits, '_', '.' or '-', starting with a letter or digit.",
  too_many_rooms: () => 'You are in as many rooms as the server allows. Leave one before joining another.',
  not_in_room: () => 'You are not in that room any more. Join it again with /join.',
  no_such_user: () => 'That person is not connected any more, so the message could not be delivered.',
  forbidden: (m) => `That is not allowed here. ${m}`,
  bad_request: (m) => `The server could not understand the request: ${m}`,
  unknown_type: (m) => `The server does not support that yet: ${m}`,
};

/** A sentence for an error reply {code, message}; unknown codes fall back to the server's own words. */
export function explain(error) {
  const serverText = typeof error.message === 'string' ? error.message : '';
  const explanation = EXPLANATIONS[error.code];
  return explanation ? explanation(serverText, error) : serverText || 'Something went wrong on the server.';
}

/** Words for a WebSocket close code, for the status line; empty when there is nothing useful to say. */
export function closeReason(code) {
  switch (code) {
    case 1001: return 'The server restarted.';
    case 1008: return 'The server closed the connection (policy).';
    case 1009: return 'The server closed the connection: a message was too big.';
    case 4001: return 'The server refused the credentials.';
    case 4008: return 'The connection was too slow to keep up.';
    case 4009: return 'This chat was opened again elsewhere (another tab with the same session).';
    default: return '';
  }
}
