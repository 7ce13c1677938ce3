// What the text typed into the message box means: a chat message or one of the slash commands.

/** The commands /help lists, in order. */
export const HELP = [
  ['/name NEW', 'change your name'],
  ['/join ROOM', 'join a room (it is created if nobody is in it)'],
  ['/leave [ROOM]', 'leave a room (the one you are looking at if none is given)'],
  ['/msg USER TEXT', 'send a direct message, by name or id'],
  ['/rooms', 'list the rooms that have people in them'],
  ['/help', 'show this list'],
];

/** Room names the server accepts: 1 to 32 of A-Z a-z 0-9 _ . -, starting with a letter or digit. */
export const ROOM_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/;

/**
 * Parses one line of input into {kind: 'chat'|'name'|'join'|'leave'|'msg'|'rooms'|'help'|'invalid', ...}.
 * A line starting with "//" is a chat message that starts with "/".
 */
export function parseInput(raw) {
  const text = raw.replace(/\s+$/u, '').replace(/^[ \t]+/u, '');
  if (!text.startsWith('/') || text.startsWith('//')) {
    return { kind: 'chat', text: text.startsWith('//') ? text.slice(1) : text };
  }
  const match = /^\/(\S+)(?:\s+([\s\S]*))?$/u.exec(text);
  const command = match[1].toLowerCase();
  const rest = (match[2] || '').trim();
  switch (command) {
    case 'name':
    case 'nick':
      return rest ? { kind: 'name', name: rest } : invalid('Type a name after /name, for example: /name Ada');
    case 'join':
      if (!rest) return invalid('Type a room after /join, for example: /join random');
      return roomOrInvalid('join', rest.replace(/^#/, ''));
    case 'leave':
    case 'part':
      return rest ? roomOrInvalid('leave', rest.replace(/^#/, '')) : { kind: 'leave', room: null };
    case 'msg':
    case 'dm':
      return rest ? { kind: 'msg', rest } : invalid('Type a person and a message after /msg, for example: /msg Ada hello');
    case 'rooms':
      return { kind: 'rooms' };
    case 'help':
    case '?':
      return { kind: 'help' };
    default:
      return invalid(`There is no command /${command}. Type /help to see the commands (or // to start a message with /).`);
  }
}

function roomOrInvalid(kind, room) {
  if (!ROOM_PATTERN.test(room)) {
    return invalid(`"${room}" is not a room name: use 1 to 32 letters, digits, '_', '.' or '-', starting with a letter or digit.`);
  }
  return { kind, room };
}

function invalid(message) {
  return { kind: 'invalid', message };
}

/**
 * Finds the recipient of "/msg USER TEXT" among the known users (a Map of id to name). USER is an id,
 * or a name — the longest known name the text starts with, so names with spaces work. Answers
 * {user: {id, username}, text} or {error}.
 */
export function resolveRecipient(rest, users) {
  const firstWord = rest.split(/\s+/u)[0];
  if (users.has(firstWord)) {
    const text = rest.slice(firstWord.length).trim();
    return text ? { user: { id: firstWord, username: users.get(firstWord) }, text } : noText(users.get(firstWord));
  }
  let best = null;
  for (const caseless of [false, true]) {
    for (const [id, username] of users) {
      const head = caseless ? rest.slice(0, username.length).toLowerCase() : rest.slice(0, username.length);
      const name = caseless ? username.toLowerCase() : username;
      const boundary = rest.length === username.length || /\s/u.test(rest[username.length]);
      if (head === name && boundary) {
        if (!best || username.length > best.username.length) best = { id, username, ids: [id] };
        else if (username.length === best.username.length) best.ids.push(id);
      }
    }
    if (best) break;
  }
  if (!best) {
    return { error: `Nobody called "${firstWord}" is in your rooms. Check the member list, or use their id.` };
  }
  if (best.ids.length > 1) {
    return { error: `${best.ids.length} people are called "${best.username}"; use an id instead: ${best.ids.join(', ')}` };
  }
  const text = rest.slice(best.username.length).trim();
  return text ? { user: { id: best.id, username: best.username }, text } : noText(best.username);
}

function noText(name) {
  return { error: `Type a message after the name, for example: /msg ${name} hello` };
}
