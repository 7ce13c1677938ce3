package dev.wschat.protocol;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;

import java.io.IOException;
import java.io.StringReader;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads server text back into {@link ServerMessage} records, the inverse of {@link JsonCodec#encode}: what the
 * encoder writes reads back equal (in the tutorial dialect, which drops fields, into the record that encodes the same
 * text). Fields the encoder leaves out when they are {@code null} are optional, every other one is required, and
 * fields it does not write are ignored. For clients written in Java (the load generator, tests), never the server.
 */
final class ServerMessageReader {
    private ServerMessageReader() {
    }

    static ServerMessage read(String text, Dialect dialect) {
        JsonElement element;
        try {
            JsonReader reader = new JsonReader(new StringReader(text));
            reader.setStrictness(Strictness.STRICT);
            reader.setNestingLimit(Limits.MAX_JSON_DEPTH);
            element = JsonParser.parseReader(reader);
            if (reader.peek() != JsonToken.END_DOCUMENT) {
                throw new MalformedMessageException("Not a server message: trailing data after the JSON value");
            }
        } catch (JsonParseException | IOException | IllegalStateException e) {
            throw new MalformedMessageException("Not a server message: not valid JSON (or nested deeper than "
                    + Limits.MAX_JSON_DEPTH + " levels): " + firstLine(e.getMessage()), e);
        }
        if (!element.isJsonObject()) {
            throw new MalformedMessageException("Not a server message: not a JSON object");
        }
        Fields f = new Fields(element.getAsJsonObject(), null, null, -1);
        String type = f.string("type");
        f.type = type;
        return dialect == Dialect.TUTORIAL ? tutorial(type, f) : v2(type, f);
    }

    private static ServerMessage tutorial(String type, Fields f) {
        switch (type) {
            case "system": {
                String clientId = f.optString("clientId");
                if (clientId == null) {
                    return new ServerMessage.SystemText(f.string("message"), f.string("timestamp"));
                }
                // the tutorial's welcome names the user in its text only
                String text = f.string("message");
                if (!text.startsWith(JsonCodec.WELCOME_TEXT)) {
                    throw f.malformed("a welcome's 'message' must read '" + JsonCodec.WELCOME_TEXT + "NAME'");
                }
                return new ServerMessage.Welcome(clientId, text.substring(JsonCodec.WELCOME_TEXT.length()),
                        f.string("timestamp"));
            }
            case "chat":
                // the tutorial dialect carries no room, id, seq or user id
                return new ServerMessage.Chat(null, null, 0, new ServerMessage.User("", f.string("username")),
                        f.string("message"), f.string("timestamp"));
            default:
                throw f.malformed("not a message type of the tutorial dialect");
        }
    }

    private static ServerMessage v2(String type, Fields f) {
        return switch (type) {
            case "system" -> system(f);
            case "token" -> new ServerMessage.Token(f.string("resumeToken"));
            case "chat" -> chat(f);
            case "ack" -> new ServerMessage.Ack(f.string("room"), f.string("clientMsgId"), f.string("id"),
                    f.whole("seq"), Boolean.TRUE.equals(f.optBoolean("duplicate")));
            case "history" -> {
                List<ServerMessage.Chat> messages = new ArrayList<>();
                for (Fields c : f.objects("messages")) {
                    String inner = c.string("type");
                    if (!"chat".equals(inner)) {
                        throw f.malformed("every entry of 'messages' must be a 'chat', not '" + inner + "'");
                    }
                    messages.add(chat(c));
                }
                yield new ServerMessage.History(f.string("room"), f.string("epoch"), messages, f.bool("hasMore"),
                        f.optBoolean("recovered"), f.optString("ref"));
            }
            case "presence" -> {
                List<ServerMessage.User> users = new ArrayList<>();
                for (Fields u : f.objects("users")) {
                    users.add(user(u));
                }
                yield new ServerMessage.Presence(f.string("room"), users, f.count("total"), f.optString("next"),
                        f.optString("ref"));
            }
            case "rooms" -> {
                List<ServerMessage.RoomInfo> rooms = new ArrayList<>();
                for (Fields r : f.objects("rooms")) {
                    rooms.add(new ServerMessage.RoomInfo(r.string("name"), r.count("members")));
                }
                yield new ServerMessage.RoomList(rooms);
            }
            case "dm" -> new ServerMessage.Direct(f.string("id"), user(f.object("from")), f.string("to"),
                    f.string("message"), f.string("timestamp"));
            case "error" -> new ServerMessage.Error(errorCode(f), f.string("message"), f.optString("ref"),
                    f.optWhole("retryAfterMs"));
            default -> throw f.malformed("not a message type of wschat.v2");
        };
    }

    private static ServerMessage system(Fields f) {
        String event = f.optString("event");
        if (event == null) {
            return new ServerMessage.SystemText(f.string("message"), f.string("timestamp"));
        }
        if ("welcome".equals(event)) {
            return new ServerMessage.Welcome(f.string("clientId"), f.string("username"), f.string("timestamp"),
                    f.optString("resumeToken"), f.optBoolean("resumed"));
        }
        for (ServerMessage.NoticeKind kind : ServerMessage.NoticeKind.values()) {
            if (kind.wireName().equals(event)) {
                // the text is made from the other fields; a rename names the old name
                String oldUsername = kind == ServerMessage.NoticeKind.RENAME ? f.string("oldUsername") : null;
                return new ServerMessage.Notice(kind, f.optString("room"), user(f.object("user")), oldUsername,
                        f.string("timestamp"));
            }
        }
        throw f.malformed("unknown 'event' '" + abbreviate(event) + "'");
    }

    private static ServerMessage.Chat chat(Fields f) {
        return new ServerMessage.Chat(f.string("room"), f.string("id"), f.whole("seq"),
                new ServerMessage.User(f.string("userId"), f.string("username")), f.string("message"),
                f.string("timestamp"));
    }

    private static ServerMessage.User user(Fields u) {
        return new ServerMessage.User(u.string("id"), u.string("username"));
    }

    private static ErrorCode errorCode(Fields f) {
        String code = f.string("code");
        for (ErrorCode c : ErrorCode.values()) {
            if (c.wireName().equals(code)) {
                return c;
            }
        }
        throw f.malformed("unknown 'code' '" + abbreviate(code) + "'");
    }

    private static String firstLine(String s) {
        int nl = s == null ? -1 : s.indexOf('\n');
        return nl < 0 ? String.valueOf(s) : s.substring(0, nl);
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "...";
    }

    /**
     * Typed, checked access to the fields of one JSON object; JSON {@code null} reads as absent. A refusal names the
     * message type and the path to the field (composed only then: the load generator decodes many frames a second).
     */
    private static final class Fields {
        final JsonObject obj;
        /** The object holding this one, or {@code null} for the message itself. */
        private final Fields parent;
        /** The field of {@link #parent} this object is (in), or {@code null}. */
        private final String field;
        /** The index in the array {@link #field}, or -1. */
        private final int index;
        /** The message's {@code type}, once read (set on the message's own object). */
        String type;

        Fields(JsonObject obj, Fields parent, String field, int index) {
            this.obj = obj;
            this.parent = parent;
            this.field = field;
            this.index = index;
        }

        MalformedMessageException malformed(String problem) {
            Fields top = this;
            StringBuilder path = new StringBuilder();
            while (top.parent != null) {
                path.insert(0, top.field + (top.index < 0 ? "." : "[" + top.index + "]."));
                top = top.parent;
            }
            return new MalformedMessageException("Malformed server message"
                    + (top.type == null ? "" : " '" + abbreviate(top.type) + "'") + ": " + problem
                    + (path.length() == 0 ? "" : " (in " + path.substring(0, path.length() - 1) + ")"));
        }

        private JsonElement get(String field) {
            JsonElement e = obj.get(field);
            return e == null || e.isJsonNull() ? null : e;
        }

        private MalformedMessageException wrong(String field, String kind, boolean missing) {
            return malformed((missing ? "missing field '" : "field '") + field + "'"
                    + (missing ? " (" + kind + ")" : " must be " + kind));
        }

        String string(String field) {
            String s = optString(field);
            if (s == null) {
                throw wrong(field, "a string", true);
            }
            return s;
        }

        String optString(String field) {
            JsonElement e = get(field);
            if (e == null) {
                return null;
            }
            if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
                throw wrong(field, "a string", false);
            }
            return e.getAsString();
        }

        long whole(String field) {
            Long n = optWhole(field);
            if (n == null) {
                throw wrong(field, "a whole number", true);
            }
            return n;
        }

        Long optWhole(String field) {
            JsonElement e = get(field);
            if (e == null) {
                return null;
            }
            if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
                throw wrong(field, "a whole number", false);
            }
            String text = e.getAsString();
            try {
                return Long.parseLong(text);
            } catch (NumberFormatException notPlain) {
                // 1.0 or 1e3 is whole too
                try {
                    return new BigDecimal(text).longValueExact();
                } catch (ArithmeticException | NumberFormatException notWhole) {
                    throw wrong(field, "a whole number", false);
                }
            }
        }

        int count(String field) {
            long n = whole(field);
            if (n < 0 || n > Integer.MAX_VALUE) {
                throw wrong(field, "a whole number from 0 to " + Integer.MAX_VALUE, false);
            }
            return (int) n;
        }

        boolean bool(String field) {
            Boolean b = optBoolean(field);
            if (b == null) {
                throw wrong(field, "true or false", true);
            }
            return b;
        }

        Boolean optBoolean(String field) {
            JsonElement e = get(field);
            if (e == null) {
                return null;
            }
            if (!(e instanceof JsonPrimitive p) || !p.isBoolean()) {
                throw wrong(field, "true or false", false);
            }
            return p.getAsBoolean();
        }

        Fields object(String field) {
            JsonElement e = get(field);
            if (e == null || !e.isJsonObject()) {
                throw wrong(field, "an object", e == null);
            }
            return new Fields(e.getAsJsonObject(), this, field, -1);
        }

        List<Fields> objects(String field) {
            JsonElement e = get(field);
            if (e == null || !e.isJsonArray()) {
                throw wrong(field, "an array of objects", e == null);
            }
            List<Fields> list = new ArrayList<>(e.getAsJsonArray().size());
            for (JsonElement item : e.getAsJsonArray()) {
                if (!item.isJsonObject()) {
                    throw wrong(field, "an array of objects", false);
                }
                list.add(new Fields(item.getAsJsonObject(), this, field, list.size()));
            }
            return list;
        }
    }
}
