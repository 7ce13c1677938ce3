package dev.wschat.protocol;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import com.google.gson.stream.JsonWriter;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.Writer;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Turns client text into {@link ClientMessage} records and {@link ServerMessage} records into text, in either
 * {@link Dialect}, and (for clients written in Java) the other way round. Decoding a client's text never throws:
 * refused input becomes {@link ClientMessage.Invalid}. Instances are immutable and thread-safe.
 */
public final class JsonCodec {
    /** Messages a {@code history} request without {@code limit} returns. */
    public static final int DEFAULT_HISTORY_PAGE = 50;

    /** How every welcome's text begins; the user's name follows. */
    static final String WELCOME_TEXT = "Welcome! You are connected as ";

    private final int maxContentLength;

    /** A codec with the default content limit, {@value Limits#DEFAULT_MAX_CONTENT_LENGTH} characters. */
    public JsonCodec() {
        this(Limits.DEFAULT_MAX_CONTENT_LENGTH);
    }

    /**
     * A codec that refuses chat and direct-message content longer than {@code maxContentLength}.
     *
     * @param maxContentLength the content limit in characters, at least 1
     */
    public JsonCodec(int maxContentLength) {
        if (maxContentLength < 1) {
            throw new IllegalArgumentException("maxContentLength must be at least 1: " + maxContentLength);
        }
        this.maxContentLength = maxContentLength;
    }

    /** The content limit in characters. */
    public int maxContentLength() {
        return maxContentLength;
    }

    // ---------------------------------------------------------------- decoding

    /**
     * Decodes one text message from a client.
     *
     * @param text    the frame's text
     * @param dialect the connection's dialect
     * @return the message, {@link ClientMessage.Ignored} or {@link ClientMessage.Invalid}; never {@code null}
     */
    public ClientMessage decode(String text, Dialect dialect) {
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(dialect, "dialect");
        JsonElement element;
        try {
            element = parseStrict(text);
        } catch (JsonParseException | IOException | IllegalStateException | StackOverflowError e) {
            element = null;
        }
        return dialect == Dialect.TUTORIAL ? decodeTutorial(text, element) : decodeV2(element);
    }

    private static JsonElement parseStrict(String text) throws IOException {
        JsonReader reader = new JsonReader(new StringReader(text));
        reader.setStrictness(Strictness.STRICT);
        reader.setNestingLimit(Limits.MAX_JSON_DEPTH);
        JsonElement element = JsonParser.parseReader(reader);
        if (reader.peek() != JsonToken.END_DOCUMENT) {
            throw new JsonParseException("trailing data after the JSON value");
        }
        return element;
    }

    private ClientMessage decodeTutorial(String text, JsonElement element) {
        if (element == null) {
            // The tutorial's server treats text that is not JSON as a chat message.
            return checkedChat(null, text, null);
        }
        if (!element.isJsonObject()) {
            return new ClientMessage.Ignored(null);
        }
        JsonObject obj = element.getAsJsonObject();
        String type = primitiveString(obj, "type");
        if ("chat".equals(type)) {
            String content = primitiveString(obj, "content");
            return content == null ? new ClientMessage.Ignored(type) : checkedChat(null, content, null);
        }
        if ("setUsername".equals(type)) {
            String username = primitiveString(obj, "username");
            return username == null ? new ClientMessage.Ignored(type) : checkedName(username, null);
        }
        return new ClientMessage.Ignored(type);
    }

    private ClientMessage decodeV2(JsonElement element) {
        if (element == null) {
            return invalid(ErrorCode.BAD_REQUEST, "Message is not valid JSON (or is nested deeper than "
                    + Limits.MAX_JSON_DEPTH + " levels)", null);
        }
        if (!element.isJsonObject()) {
            return invalid(ErrorCode.BAD_REQUEST, "Message must be a JSON object", null);
        }
        JsonObject obj = element.getAsJsonObject();
        JsonElement refElement = obj.get("ref");
        String ref = null;
        if (refElement != null && !refElement.isJsonNull()) {
            if (!isString(refElement) || refElement.getAsString().length() > Limits.MAX_REF_LENGTH) {
                return invalid(ErrorCode.BAD_REQUEST,
                        "Field 'ref' must be a string of at most " + Limits.MAX_REF_LENGTH + " characters", null);
            }
            ref = refElement.getAsString();
        }
        JsonElement typeElement = obj.get("type");
        if (typeElement == null || !isString(typeElement)) {
            return invalid(ErrorCode.BAD_REQUEST, "Missing field 'type' (a string)", ref);
        }
        String type = typeElement.getAsString();
        switch (type) {
            case "join":
            case "leave":
            case "who": {
                String room = requiredString(obj, "room");
                if (room == null) {
                    return missing("room", ref);
                }
                if (!Names.isValidRoom(room)) {
                    return invalidRoom(ref);
                }
                return switch (type) {
                    case "join" -> decodeJoin(obj, room, ref);
                    case "leave" -> new ClientMessage.Leave(room, ref);
                    default -> decodeWho(obj, room, ref);
                };
            }
            case "history": {
                String room = requiredString(obj, "room");
                if (room == null) {
                    return missing("room", ref);
                }
                if (!Names.isValidRoom(room)) {
                    return invalidRoom(ref);
                }
                Long before = optionalCount(obj, "before", 1);
                if (before != null && before < 0) {
                    return invalid(ErrorCode.BAD_REQUEST, "Field 'before' must be a whole number of at least 1", ref);
                }
                Long limit = optionalCount(obj, "limit", 1);
                if (limit != null && (limit < 0 || limit > Limits.MAX_HISTORY_PAGE)) {
                    return invalid(ErrorCode.BAD_REQUEST, "Field 'limit' must be a whole number from 1 to "
                            + Limits.MAX_HISTORY_PAGE, ref);
                }
                return new ClientMessage.HistoryRequest(room, before == null ? Long.MAX_VALUE : before,
                        limit == null ? DEFAULT_HISTORY_PAGE : limit.intValue(), ref);
            }
            case "chat": {
                String room = requiredString(obj, "room");
                if (room == null) {
                    return missing("room", ref);
                }
                if (!Names.isValidRoom(room)) {
                    return invalidRoom(ref);
                }
                String content = requiredString(obj, "content");
                if (content == null) {
                    return missing("content", ref);
                }
                JsonElement idElement = obj.get("clientMsgId");
                String clientMsgId = null;
                if (idElement != null && !idElement.isJsonNull()) {
                    if (!isString(idElement) || idElement.getAsString().isEmpty()
                            || idElement.getAsString().length() > Limits.MAX_CLIENT_MSG_ID_LENGTH) {
                        return invalid(ErrorCode.BAD_REQUEST, "Field 'clientMsgId' must be a string of 1 to "
                                + Limits.MAX_CLIENT_MSG_ID_LENGTH + " characters", ref);
                    }
                    clientMsgId = idElement.getAsString();
                }
                ClientMessage.Invalid bad = checkContent(content, ref);
                return bad != null ? bad : new ClientMessage.Chat(room, content, clientMsgId, ref);
            }
            case "setUsername": {
                String username = requiredString(obj, "username");
                if (username == null) {
                    return missing("username", ref);
                }
                return checkedName(username, ref);
            }
            case "rooms":
                return new ClientMessage.ListRooms(ref);
            case "resume":
                return decodeResume(obj, ref);
            case "dm": {
                String to = requiredString(obj, "to");
                if (to == null) {
                    return missing("to", ref);
                }
                String content = requiredString(obj, "content");
                if (content == null) {
                    return missing("content", ref);
                }
                ClientMessage.Invalid bad = checkContent(content, ref);
                return bad != null ? bad : new ClientMessage.DirectMessage(to, content, ref);
            }
            default:
                return invalid(ErrorCode.UNKNOWN_TYPE, "Unknown message type '" + abbreviate(type) + "'", ref);
        }
    }

    private static ClientMessage decodeWho(JsonObject obj, String room, String ref) {
        JsonElement cursorElement = obj.get("cursor");
        String cursor = null;
        if (cursorElement != null && !cursorElement.isJsonNull()) {
            if (!isString(cursorElement) || cursorElement.getAsString().isEmpty()
                    || cursorElement.getAsString().length() > Limits.MAX_CURSOR_LENGTH) {
                return invalid(ErrorCode.BAD_REQUEST, "Field 'cursor' must be the 'next' of an earlier presence", ref);
            }
            cursor = cursorElement.getAsString();
        }
        Long limit = optionalCount(obj, "limit", 1);
        if (limit != null && (limit < 0 || limit > Limits.MAX_PRESENCE_PAGE)) {
            return invalid(ErrorCode.BAD_REQUEST, "Field 'limit' must be a whole number from 1 to "
                    + Limits.MAX_PRESENCE_PAGE, ref);
        }
        return new ClientMessage.Who(room, cursor, limit == null ? 0 : limit.intValue(), ref);
    }

    private static ClientMessage decodeResume(JsonObject obj, String ref) {
        JsonElement roomsElement = obj.get("rooms");
        if (roomsElement == null || !roomsElement.isJsonArray()
                || roomsElement.getAsJsonArray().size() > Limits.MAX_RESUME_ROOMS) {
            return invalid(ErrorCode.BAD_REQUEST, "Field 'rooms' must be an array of at most "
                    + Limits.MAX_RESUME_ROOMS + " objects {room, since?, epoch?}", ref);
        }
        List<ClientMessage.Join> rooms = new ArrayList<>();
        for (JsonElement e : roomsElement.getAsJsonArray()) {
            if (!e.isJsonObject()) {
                return invalid(ErrorCode.BAD_REQUEST, "Every entry of 'rooms' must be an object {room, since?, epoch?}",
                        ref);
            }
            JsonObject entry = e.getAsJsonObject();
            String room = requiredString(entry, "room");
            if (room == null) {
                return missing("room", ref);
            }
            if (!Names.isValidRoom(room)) {
                return invalidRoom(ref);
            }
            ClientMessage join = decodeJoin(entry, room, ref);
            if (join instanceof ClientMessage.Invalid bad) {
                return bad;
            }
            rooms.add((ClientMessage.Join) join);
        }
        return new ClientMessage.Resume(rooms, ref);
    }

    private static ClientMessage decodeJoin(JsonObject obj, String room, String ref) {
        Long since = optionalCount(obj, "since", 0);
        if (since != null && since < 0) {
            return invalid(ErrorCode.BAD_REQUEST, "Field 'since' must be a whole number of at least 0", ref);
        }
        JsonElement epochElement = obj.get("epoch");
        String epoch = null;
        if (epochElement != null && !epochElement.isJsonNull()) {
            if (!isString(epochElement) || epochElement.getAsString().length() > Limits.MAX_EPOCH_LENGTH) {
                return invalid(ErrorCode.BAD_REQUEST, "Field 'epoch' must be a string of at most "
                        + Limits.MAX_EPOCH_LENGTH + " characters", ref);
            }
            epoch = epochElement.getAsString();
        }
        return new ClientMessage.Join(room, since, epoch, ref);
    }

    /**
     * An optional whole-number field: {@code null} when absent or JSON null, -1 when it is not a whole number of at
     * least {@code min} (that fits a long).
     */
    private static Long optionalCount(JsonObject obj, String field, long min) {
        JsonElement e = obj.get(field);
        if (e == null || e.isJsonNull()) {
            return null;
        }
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
            return -1L;
        }
        try {
            long value = e.getAsBigDecimal().longValueExact();
            return value >= min ? value : -1L;
        } catch (ArithmeticException | NumberFormatException notWhole) {
            return -1L;
        }
    }

    private ClientMessage checkedChat(String room, String content, String ref) {
        ClientMessage.Invalid bad = checkContent(content, ref);
        return bad != null ? bad : new ClientMessage.Chat(room, content, ref);
    }

    private ClientMessage.Invalid checkContent(String content, String ref) {
        if (content.length() > maxContentLength) {
            return invalid(ErrorCode.TOO_LONG, "Message is " + content.length()
                    + " characters long; the limit is " + maxContentLength, ref);
        }
        if (content.isBlank()) {
            return invalid(ErrorCode.BAD_REQUEST, "Field 'content' must not be empty", ref);
        }
        return null;
    }

    private static ClientMessage checkedName(String requested, String ref) {
        String clean = Names.cleanUsername(requested);
        if (clean.isEmpty()) {
            return invalid(ErrorCode.INVALID_NAME, "Username must contain at least one visible character", ref);
        }
        return new ClientMessage.SetUsername(clean, ref);
    }

    private static ClientMessage.Invalid invalidRoom(String ref) {
        return invalid(ErrorCode.INVALID_ROOM, "Room names are 1 to " + Limits.MAX_ROOM_LENGTH
                + " characters of letters, digits, '_', '.' and '-', starting with a letter or digit", ref);
    }

    private static ClientMessage.Invalid missing(String field, String ref) {
        return invalid(ErrorCode.BAD_REQUEST, "Missing field '" + field + "' (a string)", ref);
    }

    private static ClientMessage.Invalid invalid(ErrorCode code, String message, String ref) {
        return new ClientMessage.Invalid(code, message, ref);
    }

    private static boolean isString(JsonElement e) {
        return e.isJsonPrimitive() && e.getAsJsonPrimitive().isString();
    }

    private static String requiredString(JsonObject obj, String field) {
        JsonElement e = obj.get(field);
        return e != null && isString(e) ? e.getAsString() : null;
    }

    /** A string, number or boolean field as text (the tutorial's server forwards any of them). */
    private static String primitiveString(JsonObject obj, String field) {
        JsonElement e = obj.get(field);
        return e != null && e.isJsonPrimitive() ? e.getAsString() : null;
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "...";
    }

    // ---------------------------------------------------------------- the client side

    /**
     * Decodes one text message from the server, for clients written in Java (the load generator, tests): the inverse
     * of {@link #encode}. The tutorial dialect carries less than the records hold: its {@code chat} reads as a
     * {@link ServerMessage.Chat} without room, id or seq whose user id is empty, its notices and refusals as
     * {@link ServerMessage.SystemText}.
     *
     * @param text    the frame's text
     * @param dialect the connection's dialect
     * @return the message; never {@code null}
     * @throws MalformedMessageException when the text is not a server message of the dialect: not JSON, an unknown
     *                                   {@code type}, {@code event} or error {@code code}, a required field missing
     *                                   or of the wrong kind (the message names it)
     */
    public ServerMessage decodeServer(String text, Dialect dialect) {
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(dialect, "dialect");
        return ServerMessageReader.read(text, dialect);
    }

    /**
     * Encodes a message as a client sends it, for clients written in Java (the load generator, tests).
     *
     * @param message the message: {@code chat} and {@code setUsername} in the tutorial dialect, any sendable
     *                message in {@link Dialect#V2}
     * @param dialect the connection's dialect
     * @return the JSON text
     * @throws IllegalArgumentException when the dialect has no form of the message, or a v2 chat has no room
     */
    public String encodeClient(ClientMessage message, Dialect dialect) {
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(dialect, "dialect");
        TextBuffer out = new TextBuffer(message instanceof ClientMessage.Chat c ? 48 + c.content().length() : 64);
        try (JsonWriter w = new JsonWriter(out)) {
            w.setHtmlSafe(false);
            w.setSerializeNulls(false);
            w.beginObject();
            if (message instanceof ClientMessage.Chat m) {
                w.name("type").value("chat");
                if (dialect == Dialect.V2) {
                    if (m.room() == null) {
                        throw new IllegalArgumentException("a wschat.v2 chat needs a room");
                    }
                    w.name("room").value(m.room());
                }
                w.name("content").value(m.content());
                if (dialect == Dialect.V2 && m.clientMsgId() != null) {
                    w.name("clientMsgId").value(m.clientMsgId());
                }
            } else if (message instanceof ClientMessage.SetUsername m) {
                w.name("type").value("setUsername").name("username").value(m.username());
            } else if (dialect == Dialect.TUTORIAL) {
                throw new IllegalArgumentException("the tutorial dialect has no form of " + message);
            } else if (message instanceof ClientMessage.Join m) {
                w.name("type").value("join").name("room").value(m.room());
                if (m.since() != null) {
                    w.name("since").value(m.since());
                }
                if (m.epoch() != null) {
                    w.name("epoch").value(m.epoch());
                }
            } else if (message instanceof ClientMessage.Leave m) {
                w.name("type").value("leave").name("room").value(m.room());
            } else if (message instanceof ClientMessage.Who m) {
                w.name("type").value("who").name("room").value(m.room());
                if (m.cursor() != null) {
                    w.name("cursor").value(m.cursor());
                }
                if (m.limit() > 0) {
                    w.name("limit").value(m.limit());
                }
            } else if (message instanceof ClientMessage.HistoryRequest m) {
                w.name("type").value("history").name("room").value(m.room());
                if (m.before() != Long.MAX_VALUE) {
                    w.name("before").value(m.before());
                }
                w.name("limit").value(m.limit());
            } else if (message instanceof ClientMessage.ListRooms) {
                w.name("type").value("rooms");
            } else if (message instanceof ClientMessage.Resume m) {
                w.name("type").value("resume").name("rooms").beginArray();
                for (ClientMessage.Join j : m.rooms()) {
                    w.beginObject().name("room").value(j.room());
                    if (j.since() != null) {
                        w.name("since").value(j.since());
                    }
                    if (j.epoch() != null) {
                        w.name("epoch").value(j.epoch());
                    }
                    w.endObject();
                }
                w.endArray();
            } else if (message instanceof ClientMessage.DirectMessage m) {
                w.name("type").value("dm").name("to").value(m.to()).name("content").value(m.content());
            } else {
                throw new IllegalArgumentException("not a message a client sends: " + message);
            }
            if (dialect == Dialect.V2 && message.ref() != null) {
                w.name("ref").value(message.ref());
            }
            w.endObject();
        } catch (IOException e) {
            throw new UncheckedIOException("writing to a string buffer", e);
        }
        return out.toString();
    }

    // ---------------------------------------------------------------- encoding

    /**
     * Encodes a server message for a dialect.
     *
     * @param message the message
     * @param dialect the recipient's dialect
     * @return the JSON text, or {@code null} when the dialect has no form of this message
     */
    public String encode(ServerMessage message, Dialect dialect) {
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(dialect, "dialect");
        if (dialect == Dialect.TUTORIAL && !hasTutorialForm(message)) {
            // checked before writing: closing a JsonWriter that wrote nothing throws "Incomplete document"
            return null;
        }
        TextBuffer out = new TextBuffer(message instanceof ServerMessage.Presence p ? 64 + 64 * p.users().size()
                : message instanceof ServerMessage.History h ? 96 + 192 * h.messages().size() : 192);
        try (JsonWriter w = new JsonWriter(out)) {
            w.setHtmlSafe(false);
            w.setSerializeNulls(false);
            if (dialect == Dialect.TUTORIAL) {
                writeTutorial(w, message);
            } else {
                writeV2(w, message);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("writing to a string buffer", e);
        }
        return out.toString();
    }

    /** Whether the tutorial dialect has a form of this message: presence and room lists have none. */
    private static boolean hasTutorialForm(ServerMessage message) {
        return !(message instanceof ServerMessage.Presence) && !(message instanceof ServerMessage.RoomList)
                && !(message instanceof ServerMessage.Ack) && !(message instanceof ServerMessage.History)
                && !(message instanceof ServerMessage.Token);
    }

    /**
     * A {@link Writer} over an unsynchronized {@link StringBuilder}: {@link StringWriter} appends to a
     * {@code StringBuffer}, taking a lock for each of the many small writes a {@link JsonWriter} makes.
     */
    private static final class TextBuffer extends Writer {
        private final StringBuilder sb;

        TextBuffer(int capacity) {
            this.sb = new StringBuilder(capacity);
        }

        @Override
        public void write(int c) {
            sb.append((char) c);
        }

        @Override
        public void write(char[] cbuf, int off, int len) {
            sb.append(cbuf, off, len);
        }

        @Override
        public void write(String str, int off, int len) {
            sb.append(str, off, off + len);
        }

        @Override
        public Writer append(CharSequence csq) {
            sb.append(csq);
            return this;
        }

        @Override
        public Writer append(CharSequence csq, int start, int end) {
            sb.append(csq, start, end);
            return this;
        }

        @Override
        public Writer append(char c) {
            sb.append(c);
            return this;
        }

        @Override
        public void flush() {
            // nothing buffered
        }

        @Override
        public void close() {
            // nothing to release
        }

        @Override
        public String toString() {
            return sb.toString();
        }
    }

    private static boolean writeTutorial(JsonWriter w, ServerMessage message) throws IOException {
        if (message instanceof ServerMessage.Welcome m) {
            w.beginObject().name("type").value("system")
                    .name("message").value(welcomeText(m.username()))
                    .name("clientId").value(m.clientId())
                    .name("timestamp").value(m.timestamp()).endObject();
        } else if (message instanceof ServerMessage.Notice m) {
            system(w, noticeText(m, true), m.timestamp());
        } else if (message instanceof ServerMessage.SystemText m) {
            system(w, m.message(), m.timestamp());
        } else if (message instanceof ServerMessage.Chat m) {
            tutorialChat(w, m.from().username(), m.message(), m.timestamp());
        } else if (message instanceof ServerMessage.Direct m) {
            tutorialChat(w, m.from().username() + " (direct)", m.message(), m.timestamp());
        } else if (message instanceof ServerMessage.Error m) {
            system(w, m.message(), Timestamps.now());
        } else {
            return false; // presence, room lists, acks and history pages have no tutorial form
        }
        return true;
    }

    private static void system(JsonWriter w, String text, String timestamp) throws IOException {
        w.beginObject().name("type").value("system").name("message").value(text)
                .name("timestamp").value(timestamp).endObject();
    }

    private static void tutorialChat(JsonWriter w, String username, String text, String timestamp) throws IOException {
        w.beginObject().name("type").value("chat").name("username").value(username)
                .name("message").value(text).name("timestamp").value(timestamp).endObject();
    }

    private static boolean writeV2(JsonWriter w, ServerMessage message) throws IOException {
        w.beginObject();
        if (message instanceof ServerMessage.Welcome m) {
            w.name("type").value("system").name("event").value("welcome")
                    .name("message").value(welcomeText(m.username()))
                    .name("clientId").value(m.clientId()).name("username").value(m.username())
                    .name("timestamp").value(m.timestamp());
            if (m.resumeToken() != null) {
                w.name("resumeToken").value(m.resumeToken());
            }
            if (m.resumed() != null) {
                w.name("resumed").value(m.resumed());
            }
        } else if (message instanceof ServerMessage.Token m) {
            w.name("type").value("token").name("resumeToken").value(m.resumeToken());
        } else if (message instanceof ServerMessage.Notice m) {
            w.name("type").value("system").name("event").value(m.kind().wireName())
                    .name("room").value(m.room());
            w.name("user");
            user(w, m.user());
            if (m.oldUsername() != null) {
                w.name("oldUsername").value(m.oldUsername());
            }
            w.name("message").value(noticeText(m, false)).name("timestamp").value(m.timestamp());
        } else if (message instanceof ServerMessage.SystemText m) {
            w.name("type").value("system").name("message").value(m.message()).name("timestamp").value(m.timestamp());
        } else if (message instanceof ServerMessage.Chat m) {
            chatFields(w, m);
        } else if (message instanceof ServerMessage.Ack m) {
            w.name("type").value("ack").name("room").value(m.room()).name("clientMsgId").value(m.clientMsgId())
                    .name("id").value(m.id()).name("seq").value(m.seq());
            if (m.duplicate()) {
                w.name("duplicate").value(true);
            }
        } else if (message instanceof ServerMessage.History m) {
            w.name("type").value("history").name("room").value(m.room()).name("epoch").value(m.epoch())
                    .name("messages").beginArray();
            for (ServerMessage.Chat c : m.messages()) {
                w.beginObject();
                chatFields(w, c);
                w.endObject();
            }
            w.endArray().name("hasMore").value(m.hasMore());
            if (m.recovered() != null) {
                w.name("recovered").value(m.recovered());
            }
            if (m.ref() != null) {
                w.name("ref").value(m.ref());
            }
        } else if (message instanceof ServerMessage.Presence m) {
            w.name("type").value("presence").name("room").value(m.room()).name("users").beginArray();
            for (ServerMessage.User u : m.users()) {
                user(w, u);
            }
            w.endArray().name("total").value(m.total());
            if (m.next() != null) {
                w.name("next").value(m.next());
            }
            if (m.ref() != null) {
                w.name("ref").value(m.ref());
            }
        } else if (message instanceof ServerMessage.RoomList m) {
            w.name("type").value("rooms").name("rooms").beginArray();
            for (ServerMessage.RoomInfo r : m.rooms()) {
                w.beginObject().name("name").value(r.name()).name("members").value(r.members()).endObject();
            }
            w.endArray();
        } else if (message instanceof ServerMessage.Direct m) {
            w.name("type").value("dm").name("id").value(m.id()).name("from");
            user(w, m.from());
            w.name("to").value(m.to()).name("message").value(m.message()).name("timestamp").value(m.timestamp());
        } else if (message instanceof ServerMessage.Error m) {
            w.name("type").value("error").name("code").value(m.code().wireName())
                    .name("message").value(m.message());
            if (m.ref() != null) {
                w.name("ref").value(m.ref());
            }
            if (m.retryAfterMs() != null) {
                w.name("retryAfterMs").value(m.retryAfterMs());
            }
        }
        w.endObject();
        return true;
    }

    private static void chatFields(JsonWriter w, ServerMessage.Chat m) throws IOException {
        w.name("type").value("chat").name("room").value(m.room()).name("id").value(m.id())
                .name("seq").value(m.seq()).name("userId").value(m.from().id())
                .name("username").value(m.from().username()).name("message").value(m.message())
                .name("timestamp").value(m.timestamp());
    }

    private static void user(JsonWriter w, ServerMessage.User u) throws IOException {
        w.beginObject().name("id").value(u.id()).name("username").value(u.username()).endObject();
    }

    private static String welcomeText(String username) {
        return WELCOME_TEXT + username;
    }

    private static String noticeText(ServerMessage.Notice m, boolean tutorial) {
        String name = m.user().username();
        boolean lobbyWording = tutorial || Limits.DEFAULT_ROOM.equals(m.room());
        return switch (m.kind()) {
            case JOIN -> name + (lobbyWording ? " joined the chat" : " joined " + m.room());
            case LEAVE -> name + (lobbyWording ? " left the chat" : " left " + m.room());
            case RENAME -> m.oldUsername() + " is now known as " + name;
        };
    }
}
