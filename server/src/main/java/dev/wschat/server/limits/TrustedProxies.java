package dev.wschat.server.limits;

import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.ipfilter.IpFilterRuleType;
import io.netty.handler.ipfilter.IpSubnetFilterRule;
import io.netty.util.NetUtil;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The proxies (nginx, a cloud balancer) whose {@code X-Forwarded-For} header names the client: behind one, every
 * connection comes from the proxy's address, and per-address limits would count the proxy, not the clients.
 * The client is the right-most address of the header that is not itself a trusted proxy (what nginx's
 * {@code real_ip_recursive on} does), so a client cannot pose as another by sending the header itself.
 */
public final class TrustedProxies {
    private static final String X_FORWARDED_FOR = "X-Forwarded-For";
    /** Trusting no proxy: the TCP peer is the client. */
    public static final TrustedProxies NONE = new TrustedProxies(List.of(), "");

    private final List<IpSubnetFilterRule> rules;
    private final String text;

    private TrustedProxies(List<IpSubnetFilterRule> rules, String text) {
        this.rules = rules;
        this.text = text;
    }

    /**
     * Parses a comma-separated list of IP addresses and CIDR blocks ({@code 127.0.0.1,10.0.0.0/8,::1}).
     *
     * @param list the list, or {@code null} or blank for none
     * @return the proxies
     * @throws IllegalArgumentException naming the entry that is not an address or a block
     */
    public static TrustedProxies parse(String list) {
        if (list == null || list.isBlank()) {
            return NONE;
        }
        List<IpSubnetFilterRule> rules = new ArrayList<>();
        List<String> clean = new ArrayList<>();
        for (String raw : list.split(",")) {
            String entry = raw.strip();
            if (entry.isEmpty()) {
                continue;
            }
            int slash = entry.indexOf('/');
            String address = slash < 0 ? entry : entry.substring(0, slash);
            if (!NetUtil.isValidIpV4Address(address) && !NetUtil.isValidIpV6Address(address)) {
                throw new IllegalArgumentException("'" + entry + "' is not an IP address or CIDR block");
            }
            int maxBits = NetUtil.isValidIpV4Address(address) ? 32 : 128;
            int bits = maxBits;
            if (slash >= 0) {
                try {
                    bits = Integer.parseInt(entry.substring(slash + 1));
                } catch (NumberFormatException e) {
                    bits = -1;
                }
                if (bits < 0 || bits > maxBits) {
                    throw new IllegalArgumentException("'" + entry + "' has a prefix length outside 0.." + maxBits);
                }
            }
            rules.add(new IpSubnetFilterRule(address, bits, IpFilterRuleType.ACCEPT));
            clean.add(entry);
        }
        return rules.isEmpty() ? NONE : new TrustedProxies(List.copyOf(rules), String.join(",", clean));
    }

    /** Whether no proxy is trusted. */
    public boolean isEmpty() {
        return rules.isEmpty();
    }

    /** Whether an address is one of the trusted proxies. */
    boolean trusts(InetSocketAddress address) {
        for (IpSubnetFilterRule rule : rules) {
            if (rule.matches(address)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The client's address: the TCP peer, or, when the peer is a trusted proxy, the right-most address of
     * {@code X-Forwarded-For} that is not a trusted proxy (the peer when the header is missing or unreadable).
     *
     * @param peer    the connection's remote address
     * @param headers the upgrade request's headers
     * @return the client's IP address, or {@code null} when the peer has none (a local channel in tests)
     */
    public InetAddress client(SocketAddress peer, HttpHeaders headers) {
        Objects.requireNonNull(headers, "headers");
        if (!(peer instanceof InetSocketAddress inet) || inet.getAddress() == null) {
            return null;
        }
        InetAddress client = inet.getAddress();
        if (rules.isEmpty() || !trusts(inet)) {
            return client;
        }
        List<String> values = headers.getAll(X_FORWARDED_FOR);
        for (int v = values.size() - 1; v >= 0; v--) {
            String[] hops = values.get(v).split(",");
            for (int i = hops.length - 1; i >= 0; i--) {
                InetAddress hop = literal(hops[i].strip());
                if (hop == null) {
                    return client; // unreadable: trust nothing further left of it
                }
                client = hop;
                if (!trusts(new InetSocketAddress(hop, 0))) {
                    return client;
                }
            }
        }
        return client;
    }

    /** An IP literal as an address, never a name lookup; {@code null} when it is not one. */
    private static InetAddress literal(String text) {
        byte[] bytes = NetUtil.createByteArrayFromIpAddressString(text);
        if (bytes == null) {
            return null;
        }
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            return null;
        }
    }

    @Override
    public String toString() {
        return text;
    }
}
