package dev.wschat.bench;

import dev.wschat.protocol.ClientMessage;
import dev.wschat.protocol.Dialect;
import dev.wschat.protocol.ErrorCode;
import dev.wschat.protocol.Limits;
import dev.wschat.protocol.MalformedMessageException;
import dev.wschat.protocol.ServerFrames;
import dev.wschat.protocol.ServerMessage;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

import java.nio.charset.StandardCharsets;

/**
 * One bench WebSocket connection: writes the upgrade request, reads the 101, then parses server frames
 * straight from the received buffers. Chat frames carrying this run's bench marker
 * ({@code #B<run>:<sender>:<seq>:<micros>#}, at the end of the content) are timed and checked for loss, duplicates
 * and order, read where {@link ServerFrames} says the text ends: a byte scan, not a decode, because this is the
 * path of every delivery (a million and more a second on two cores, where decoding each chat whole would cost the
 * bench more than the server spends on it). Everything else is decoded with the protocol's decoder
 * ({@code JsonCodec.decodeServer}) or only counted (a marker of another run, replayed from a server's history, too).
 * A resuming client's frames go to its {@link ResumingClient} instead. Messages are written and read through the protocol module; with {@code --wire socketio} as Socket.IO
 * packets instead ({@link SocketIo}), the marker read the same way. Not sharable: one instance per channel.
 */
final class Conn extends ChannelInboundHandlerAdapter {
    /** What a scenario learns about a connection. */
    interface Events {
        /** The connection is set up (welcome, and rooms joined): it may send and is counted. */
        void ready(Conn conn);

        /** The connection failed before it was ready, or was closed. */
        default void closed(Conn conn, boolean wasReady) {
        }
    }

    /** Takes every text frame of a connection instead of the counting here: a client that follows the frames itself. */
    interface TextSink {
        /** One text frame, on the connection's event loop. */
        void text(Conn conn, String json);
    }

    private static final int MASK_HEADER_MAX = 14;

    private final Clients clients;
    private final Events events;
    /** The room this client is in, dialect 2; {@link Limits#DEFAULT_ROOM} means only that room. */
    private final String room;
    /** The last sequence number seen per sender slot; {@code null} when this connection is not counted. */
    final int[] lastSeq;
    long connectStartNanos;
    private ChannelHandlerContext ctx;
    private LoopStats stats;
    private ByteBuf cumulation;
    private boolean upgraded;
    private boolean ready;
    private boolean closedReported;
    private boolean joinSent;
    private int maskSeed;
    volatile Channel channel;
    /** The node (index of {@code --url}) this connection goes to; -1 = the next one, round-robin. */
    int node = -1;
    /** The resume token to present in the upgrade request, or {@code null}. */
    String resumeToken;
    /** The client that reads this connection's frames itself (a {@link ResumingClient}), or {@code null}: then they are counted here. */
    TextSink resumer;
    /**
     * Why the handshake failed, when it did: {@code null} while none failed or when it succeeded; the HTTP status
     * line's code ("503") when the server answered something else than 101. Read after {@link Events#closed}.
     */
    volatile String refusedStatus;
    /** The {@code Retry-After} of a refused handshake, milliseconds; -1 when none was given. */
    volatile long retryAfterMs = -1;
    /** Why the TCP connect failed, or {@code null}. */
    volatile Throwable connectCause;

    Conn(Clients clients, Events events, String room, int senderSlots) {
        this.clients = clients;
        this.events = events;
        this.room = room;
        this.lastSeq = senderSlots > 0 ? new int[senderSlots] : null;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.channel = ctx.channel();
        this.stats = clients.stats(ctx.channel().eventLoop());
        this.maskSeed = System.identityHashCode(this) | 1;
        ctx.writeAndFlush(ctx.alloc().buffer(512).writeBytes(clients.handshakeRequest(node, resumeToken, room)), ctx.voidPromise());
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf in = (ByteBuf) msg;
        ByteBuf buf;
        if (cumulation != null) {
            cumulation.writeBytes(in);
            in.release();
            buf = cumulation;
        } else {
            buf = in;
        }
        if (!upgraded && !readUpgrade(buf)) {
            keep(buf);
            return;
        }
        frames(buf);
        keep(buf);
    }

    /** Keeps unread bytes for the next read, or releases the buffer when all was read. */
    private void keep(ByteBuf buf) {
        if (!buf.isReadable()) {
            buf.release();
            cumulation = null;
        } else if (buf != cumulation) {
            cumulation = ctx.alloc().heapBuffer(Math.max(1024, buf.readableBytes() * 2));
            cumulation.writeBytes(buf);
            buf.release();
        } else {
            cumulation.discardSomeReadBytes();
        }
    }

    private boolean readUpgrade(ByteBuf buf) {
        int start = buf.readerIndex();
        int end = buf.writerIndex();
        for (int i = start; i + 3 < end; i++) {
            if (buf.getByte(i) == '\r' && buf.getByte(i + 1) == '\n' && buf.getByte(i + 2) == '\r'
                    && buf.getByte(i + 3) == '\n') {
                String status = buf.toString(start, Math.min(12, i - start), StandardCharsets.US_ASCII);
                if (!status.startsWith("HTTP/1.1 101")) {
                    refused(buf.toString(start, i - start, StandardCharsets.US_ASCII));
                    buf.readerIndex(i + 4);
                    ctx.close();
                    return false;
                }
                buf.readerIndex(i + 4);
                upgraded = true;
                stats.opened.inc();
                stats.recordHandshake((System.nanoTime() - connectStartNanos) / 1_000);
                return true;
            }
        }
        if (end - start > 16_384) {
            ctx.close();
        }
        return false;
    }

    /** Keeps the status code and {@code Retry-After} (seconds) of a refused handshake's header block. */
    private void refused(String head) {
        String[] lines = head.split("\r\n");
        String[] statusLine = lines[0].split(" ");
        refusedStatus = statusLine.length > 1 ? statusLine[1] : "?";
        for (int k = 1; k < lines.length; k++) {
            int colon = lines[k].indexOf(':');
            if (colon > 0 && lines[k].substring(0, colon).trim().equalsIgnoreCase("Retry-After")) {
                try {
                    retryAfterMs = Math.max(0, Long.parseLong(lines[k].substring(colon + 1).trim())) * 1000;
                } catch (NumberFormatException e) {
                    // an HTTP date: not sent by wschat; treated as absent
                }
            }
        }
    }

    /** Whether the server answered the upgrade with 101. */
    boolean upgraded() {
        return upgraded;
    }

    private void frames(ByteBuf b) {
        while (true) {
            int r = b.readerIndex();
            int n = b.writerIndex() - r;
            if (n < 2) {
                return;
            }
            int b0 = b.getByte(r) & 0xff;
            int b1 = b.getByte(r + 1) & 0x7f;
            int header = 2;
            long len = b1;
            if (b1 == 126) {
                if (n < 4) {
                    return;
                }
                len = b.getUnsignedShort(r + 2);
                header = 4;
            } else if (b1 == 127) {
                if (n < 10) {
                    return;
                }
                len = b.getLong(r + 2);
                header = 10;
            }
            if (len > Integer.MAX_VALUE - 16) {
                ctx.close();
                return;
            }
            if (n < header + len) {
                return;
            }
            frame(b0 & 0x0f, b, r + header, (int) len);
            b.readerIndex(r + header + (int) len);
            if (!ctx.channel().isActive()) {
                b.readerIndex(b.writerIndex());
                return;
            }
        }
    }

    private void frame(int opcode, ByteBuf b, int off, int len) {
        switch (opcode) {
            case 0x1, 0x0 -> text(b, off, len);
            case 0x8 -> ctx.close();
            case 0x9 -> writeFrame(0xA, null, 0);
            default -> {
                // binary and pong frames are not expected; ignored
            }
        }
    }

    private void text(ByteBuf b, int off, int len) {
        if (clients.wire == Wire.SOCKETIO) {
            socketIo(b, off, len);
            return;
        }
        if (resumer != null) {
            stats.otherFrames.inc();
            resumer.text(this, b.toString(off, len, StandardCharsets.UTF_8));
            return;
        }
        if (ready && lastSeq != null && marked(b, off, len)) {
            return;
        }
        stats.otherFrames.inc();
        if (!ready) {
            setup(b, off, len);
        } else if (clients.acks) {
            ackOrRefusal(b, off, len);
        }
    }

    /** A Socket.IO packet: a chat event is counted, the handshake and pings are answered ({@link SocketIo}). */
    private void socketIo(ByteBuf b, int off, int len) {
        if (ready && lastSeq != null && marked(b, off, len)) {
            return;
        }
        stats.otherFrames.inc();
        byte[] s = stats.scratch;
        int head = Math.min(len, 2);
        b.getBytes(off, s, 0, head);
        switch (SocketIo.packet(s, 0, len)) {
            case PING -> sendText(SocketIo.PONG);
            case OPEN -> {
                if (!ready) {
                    sendText(SocketIo.CONNECT);
                }
            }
            case CONNECTED -> {
                if (!ready) {
                    becomeReady();
                }
            }
            case CLOSE -> ctx.close();
            default -> {
                // another event, or a noop: only counted
            }
        }
    }

    private static final byte[] ACK = "{\"type\":\"ack\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] ERROR = "{\"type\":\"error\"".getBytes(StandardCharsets.US_ASCII);

    /**
     * With {@code --ack}: the time from a chat's send to its ack (its clientMsgId is {@code k<run>-<micros>}), and
     * the refusals. A prefix test first: only acks and errors are decoded, not the notices that come as often.
     */
    private void ackOrRefusal(ByteBuf b, int off, int len) {
        boolean ack = startsWith(b, off, len, ACK);
        if (!ack && !startsWith(b, off, len, ERROR)) {
            return;
        }
        ServerMessage m = decode(b, off, len);
        if (m instanceof ServerMessage.Ack a) {
            String id = a.clientMsgId();
            int dash = id.indexOf('-');
            if (dash > 1 && id.charAt(0) == 'k' && id.substring(1, dash).equals(Long.toString(clients.runId))) {
                try {
                    stats.recordAck(clients.nowMicros() - Long.parseLong(id.substring(dash + 1)));
                    stats.acks.inc();
                } catch (NumberFormatException e) {
                    // not one of this run's ids
                }
            }
        } else if (m instanceof ServerMessage.Error e && e.code() == ErrorCode.UNAVAILABLE) {
            stats.refused.inc();
        }
    }

    /** The frame decoded, or {@code null} when it is not a server message (counted as another frame only). */
    private ServerMessage decode(ByteBuf b, int off, int len) {
        try {
            return clients.codec.decodeServer(b.toString(off, len, StandardCharsets.UTF_8), clients.dialect);
        } catch (MalformedMessageException e) {
            return null;
        }
    }

    private static boolean startsWith(ByteBuf b, int off, int len, byte[] prefix) {
        if (len < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (b.getByte(off + i) != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    /**
     * Reads the bench marker at the end of a chat's text ({@link ServerFrames} finds where the text ends);
     * false when the frame is not a chat or its text carries no marker.
     */
    private boolean marked(ByteBuf b, int off, int len) {
        byte[] s = stats.scratch;
        if (s.length < len) {
            s = new byte[Math.max(len, s.length * 2)];
            stats.scratch = s;
        }
        b.getBytes(off, s, 0, len);
        int end = clients.wire == Wire.SOCKETIO ? SocketIo.chatTextEnd(s, 0, len) : ServerFrames.chatMessageEnd(s, 0, len);
        // the text ends with the marker: '#', 'B', run, ':', sender, ':', seq, ':', micros, '#'
        if (end < 1 || s[end - 1] != '#') {
            return false;
        }
        long micros = 0;
        long mul = 1;
        int j = end - 2;
        while (j >= 0 && s[j] >= '0' && s[j] <= '9') {
            micros += (s[j] - '0') * mul;
            mul *= 10;
            j--;
        }
        if (j < 0 || s[j] != ':' || mul == 1) {
            return false;
        }
        int seq = 0;
        int m = 1;
        j--;
        while (j >= 0 && s[j] >= '0' && s[j] <= '9') {
            seq += (s[j] - '0') * m;
            m *= 10;
            j--;
        }
        if (j < 0 || s[j] != ':' || m == 1) {
            return false;
        }
        int sender = 0;
        m = 1;
        j--;
        while (j >= 0 && s[j] >= '0' && s[j] <= '9') {
            sender += (s[j] - '0') * m;
            m *= 10;
            j--;
        }
        if (j < 0 || s[j] != ':' || m == 1 || sender >= lastSeq.length) {
            return false;
        }
        long run = 0;
        long runMul = 1;
        j--;
        while (j >= 0 && s[j] >= '0' && s[j] <= '9' && runMul <= 1_000_000_000L) {
            run += (s[j] - '0') * runMul;
            runMul *= 10;
            j--;
        }
        // another run's message (a server's history replays them to joiners): not this run's delivery
        if (j < 1 || s[j] != 'B' || s[j - 1] != '#' || runMul == 1 || run != clients.runId) {
            return false;
        }
        LoopStats st = stats;
        st.recordLatency(clients.nowMicros() - micros);
        st.deliveries.inc();
        int last = lastSeq[sender];
        if (seq > last) {
            lastSeq[sender] = seq;
            st.unique.inc();
        } else if (seq == last) {
            st.duplicates.inc();
        } else {
            st.outOfOrder.inc();
            st.unique.inc();
        }
        return true;
    }

    /**
     * Follows setup: the tutorial's protocol is ready at its welcome; wschat.v2 at the presence of the room
     * this client belongs in, after moving there from the default room when it belongs elsewhere.
     */
    private void setup(ByteBuf b, int off, int len) {
        if (clients.dialect == Dialect.TUTORIAL) {
            becomeReady();
            return;
        }
        if (!(decode(b, off, len) instanceof ServerMessage.Presence p)) {
            return;
        }
        String presenceOf = p.room();
        if (presenceOf.equals(room)) {
            becomeReady();
        } else if (presenceOf.equals(Limits.DEFAULT_ROOM) && !joinSent) {
            joinSent = true;
            sendText(clients.codec.encodeClient(new ClientMessage.Join(room, null), Dialect.V2));
            sendText(clients.codec.encodeClient(new ClientMessage.Leave(Limits.DEFAULT_ROOM, null), Dialect.V2));
        }
    }

    private void becomeReady() {
        ready = true;
        events.ready(this);
    }

    /** Sends one bench chat message; on this connection's event loop only. */
    boolean sendChat(int sender, int seq, long micros, int padding) {
        if (!ctx.channel().isActive()) {
            return false;
        }
        StringBuilder content = new StringBuilder(padding + 40);
        for (int k = 0; k < padding; k++) {
            content.append('x');
        }
        content.append("#B").append(clients.runId).append(':').append(sender).append(':').append(seq).append(':').append(micros).append('#');
        if (clients.wire == Wire.SOCKETIO) {
            sendText(SocketIo.chat(content));
            stats.sent.inc();
            return true;
        }
        Dialect d = clients.dialect;
        String clientMsgId = clients.acks && d == Dialect.V2 ? "k" + clients.runId + "-" + micros : null;
        sendText(clients.codec.encodeClient(new ClientMessage.Chat(d == Dialect.V2 ? room : null,
                content.toString(), clientMsgId, null), d));
        stats.sent.inc();
        return true;
    }

    /** Whether the connection became active (its context is known). */
    boolean active() {
        return ctx != null;
    }

    /**
     * Ends the connection the way a client that is done does: a Close frame with 1000, then the TCP close. A
     * server with session resume keeps an abruptly dropped session (its rooms and presence) for the resume
     * window; a bench run that ends cleanly must not leave its clients behind as members. Event loop only.
     */
    void closeNormally() {
        if (upgraded && ctx.channel().isActive()) {
            writeFrame(0x8, new byte[] {0x03, (byte) 0xE8}, 2);
        }
        ctx.close();
    }

    /** Sends one client message; on this connection's event loop only. */
    void send(ClientMessage message) {
        sendText(clients.codec.encodeClient(message, clients.dialect));
    }

    /** Marks the connection set up and tells its events; for a {@link ResumingClient}, which follows the setup itself. */
    void markReady() {
        becomeReady();
    }

    /**
     * Drops the connection the way a network failure does: a TCP reset, no close frame ({@code SO_LINGER} 0).
     * On this connection's event loop only.
     */
    void abort() {
        try {
            ctx.channel().config().setOption(io.netty.channel.ChannelOption.SO_LINGER, 0);
        } catch (RuntimeException e) {
            // a transport without SO_LINGER: a plain close still drops without a close frame
        }
        ctx.close();
    }

    private void sendText(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        writeFrame(0x1, bytes, bytes.length);
    }

    /** Writes one masked client frame and flushes. */
    private void writeFrame(int opcode, byte[] payload, int len) {
        ByteBuf out = ctx.alloc().buffer(MASK_HEADER_MAX + len);
        out.writeByte(0x80 | opcode);
        if (len <= 125) {
            out.writeByte(0x80 | len);
        } else if (len <= 0xFFFF) {
            out.writeByte(0x80 | 126);
            out.writeShort(len);
        } else {
            out.writeByte(0x80 | 127);
            out.writeLong(len);
        }
        int x = maskSeed;
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        maskSeed = x;
        out.writeInt(x);
        byte m0 = (byte) (x >>> 24);
        byte m1 = (byte) (x >>> 16);
        byte m2 = (byte) (x >>> 8);
        byte m3 = (byte) x;
        for (int k = 0; k < len; k++) {
            byte m = switch (k & 3) {
                case 0 -> m0;
                case 1 -> m1;
                case 2 -> m2;
                default -> m3;
            };
            out.writeByte(payload[k] ^ m);
        }
        ctx.writeAndFlush(out, ctx.voidPromise());
    }

    /** Whether the connection finished its setup. */
    boolean isReady() {
        return ready;
    }

    void connectFailed(Channel ch, Throwable cause) {
        connectCause = cause;
        LoopStats s = clients.stats(ch.eventLoop());
        s.failed.inc();
        report(false);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (!upgraded) {
            stats.failed.inc();
        } else {
            stats.closed.inc();
        }
        if (cumulation != null) {
            cumulation.release();
            cumulation = null;
        }
        report(ready);
        ctx.fireChannelInactive();
    }

    private void report(boolean wasReady) {
        if (!closedReported) {
            closedReported = true;
            events.closed(this, wasReady);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
