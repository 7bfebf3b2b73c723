package org.safenet.dns.resolver.pipeline;

import static org.safenet.dns.resolver.wire.DnsConstants.*;

import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.FastThreadLocal;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.resolver.acl.ClientAccessList;
import org.safenet.dns.resolver.cache.AnswerTargets;
import org.safenet.dns.resolver.cache.CachedResponse;
import org.safenet.dns.resolver.cache.PacketCache;
import org.safenet.dns.resolver.limit.LimitSettings;
import org.safenet.dns.resolver.limit.QueryLimiter;
import org.safenet.dns.resolver.limit.ResponseLimiter;
import org.safenet.dns.resolver.policy.ClientGroups;
import org.safenet.dns.resolver.policy.Policy;
import org.safenet.dns.resolver.policy.PolicyAction;
import org.safenet.dns.resolver.policy.PolicyAnswers;
import org.safenet.dns.resolver.policy.Profile;
import org.safenet.dns.resolver.policy.Verdict;
import org.safenet.dns.resolver.policy.WeekClock;
import org.safenet.dns.resolver.stats.LoopCounters;
import org.safenet.dns.resolver.stats.ResolverMetrics;
import org.safenet.dns.resolver.tap.PolicyHit;
import org.safenet.dns.resolver.tap.QueryTap;
import org.safenet.dns.resolver.upstream.Forwarder;
import org.safenet.dns.resolver.wire.AnswerWriter;
import org.safenet.dns.resolver.wire.Hashing;
import org.safenet.dns.resolver.wire.ParseResult;
import org.safenet.dns.resolver.wire.ParsedQuery;
import org.safenet.dns.resolver.wire.QueryParser;

/**
 * The hot path, in order, in one method: parse, access, special types, policy, cache, forward.
 *
 * <p>A straight sequence of calls rather than a list of pluggable stages, so the JIT sees
 * monomorphic call sites and a reader sees the order and why (Unbound's {@code
 * worker_handle_request}, Blocky's resolver chain). Steps 1 to 5 allocate nothing, except
 * for the rare messages handed to the {@link ZoneService} (AXFR, IXFR, SOA, NOTIFY), which get a
 * copy of their bytes.
 */
public final class QueryPipeline {

    /** What {@link #handle} did with a query. */
    public enum Outcome {
        /** The answer is in the output buffer: send it. */
        ANSWERED,
        /** Handed to the forwarder, which answers through the client's {@link ReplySink} later. */
        FORWARDED,
        /** Nothing to send. */
        DROPPED
    }

    /** Larger than any UDP answer: a channel that allows more is TCP. */
    private static final int MAX_UDP_PAYLOAD = 65507;

    /** Swapped by a config reload; read once per query. */
    private volatile ClientAccessList acl;

    private final Policy policy;
    /** Swapped by a config reload (block page addresses, TTLs). */
    private volatile PolicyAnswers policyAnswers;

    private final PacketCache cache;
    private final Forwarder forwarder;
    private final ResolverMetrics metrics;
    private final LongSupplier clockMillis;
    private final int ednsUdpSize;
    /** Transfers and NOTIFY go here; read only for those (rare) messages. */
    private volatile ZoneService zoneService = ZoneService.NONE;

    /** Client groups and their profiles, with the clock their schedules read; swapped whole by a reload. */
    private record Profiles(ClientGroups groups, WeekClock clock, int generation) {}

    private volatile Profiles profiles;

    /** What a query that leads somewhere needs on its loop, reused: where cached answers lead, a redirect's query. */
    private static final class Scratch {
        final AnswerTargets targets = new AnswerTargets();
        final ParsedQuery redirect = new ParsedQuery();
        final byte[] name = new byte[MAX_NAME_LENGTH];
        /** While a sampled query is answered with dnstap on: why policy answered it, if it did. */
        final PolicyHit hit = new PolicyHit();

        boolean tapping;
        /** The tapped query's client, channel and arrival, for the answer that comes later (see {@link TapContext}). */
        @Nullable
        InetSocketAddress tapClient;

        @Nullable
        ClientChannel tapChannel;

        long tapMillis;
    }

    /** What a forwarded query's answer needs for dnstap: made on the miss path only, with dnstap on. */
    private record TapContext(
            InetSocketAddress client,
            @Nullable InetSocketAddress local,
            int transport,
            int answerOffset,
            long queryMillis,
            @Nullable PolicyHit hit) {}

    /** The tap context of the query being answered now, or null when it is not tapped. */
    private @Nullable TapContext tapContext() {
        if (tap == null) {
            return null;
        }
        Scratch s = SCRATCH.get();
        InetSocketAddress client = s.tapClient;
        ClientChannel channel = s.tapChannel;
        if (!s.tapping || client == null || channel == null) {
            return null;
        }
        PolicyHit hit = null;
        if (s.hit.verdict() != null) {
            hit = new PolicyHit();
            hit.copyFrom(s.hit);
        }
        return new TapContext(
                client, channel.localAddress(), channel.transport(), channel.answerOffset(), s.tapMillis, hit);
    }

    /** dnstap output, or null (the default): swapped by a restart-only setting, read once per query. */
    private volatile @Nullable QueryTap tap;

    /** Per-client rate limits; swapped by a reload. */
    private volatile LimitSettings limits = LimitSettings.OFF;

    /** Each event loop's token buckets. */
    private static final FastThreadLocal<ResponseLimiter> RESPONSE_LIMITER = new FastThreadLocal<>() {
        @Override
        protected ResponseLimiter initialValue() {
            return new ResponseLimiter();
        }
    };

    private static final FastThreadLocal<QueryLimiter> LIMITER = new FastThreadLocal<>() {
        @Override
        protected QueryLimiter initialValue() {
            return new QueryLimiter();
        }
    };

    private static final FastThreadLocal<Scratch> SCRATCH = new FastThreadLocal<>() {
        @Override
        protected Scratch initialValue() {
            return new Scratch();
        }
    };

    public QueryPipeline(
            ClientAccessList acl,
            Policy policy,
            PolicyAnswers policyAnswers,
            PacketCache cache,
            Forwarder forwarder,
            ResolverMetrics metrics,
            LongSupplier clockMillis,
            int ednsUdpSize) {
        this.acl = acl;
        this.policy = policy;
        this.policyAnswers = policyAnswers;
        this.cache = cache;
        this.forwarder = forwarder;
        this.metrics = metrics;
        this.clockMillis = clockMillis;
        this.ednsUdpSize = ednsUdpSize;
        this.profiles = new Profiles(
                ClientGroups.only(Profile.builder("default").allCategories().build(0)),
                new WeekClock(ZoneOffset.UTC, clockMillis),
                0);
    }

    /**
     * Client groups and profiles from now on, schedules read in {@code zone}. A cached answer
     * checked under the old ones is checked again before it is served.
     */
    public void profiles(ClientGroups groups, ZoneId zone) {
        Profiles old = profiles;
        profiles = new Profiles(groups, new WeekClock(zone, clockMillis), old.generation() + 1);
    }

    /** Per-client rate limits from now on (the next query sees them). */
    public void limits(LimitSettings settings) {
        this.limits = settings;
    }

    /** The client groups and profiles in force. */
    public ClientGroups clientGroups() {
        return profiles.groups();
    }

    /** The minute of the week schedules see now. */
    public int minuteOfWeek() {
        return profiles.clock().minuteOfWeek();
    }

    /** dnstap from now on; null: none. The caller closes the old one. */
    public void tap(@Nullable QueryTap tap) {
        this.tap = tap;
    }

    /** Where zone transfers and NOTIFY messages go from now on. */
    public void zoneService(ZoneService service) {
        this.zoneService = service;
    }

    /** A reloaded access list: the next query is checked against it. */
    public void reconfigure(ClientAccessList acl, PolicyAnswers policyAnswers) {
        this.acl = acl;
        this.policyAnswers = policyAnswers;
    }

    /**
     * Response rate limiting for an answer about to go out over UDP to {@code client} (call on the
     * client's event loop): true to send it, possibly cut to an empty answer with TC; false to
     * drop it (the caller releases it). See {@link ResponseLimiter}.
     */
    public boolean mayAnswerOverUdp(ByteBuf answer, InetAddress client) {
        LimitSettings lim = limits;
        if (lim.responsesPerSecond() <= 0) {
            return true;
        }
        switch (RESPONSE_LIMITER.get().check(answer, client, clockMillis, lim)) {
            case SEND -> {
                return true;
            }
            case SLIP -> {
                ResponseLimiter.slip(answer);
                metrics.counters().responseLimited(false);
                return true;
            }
            default -> {
                metrics.counters().responseLimited(true);
                return false;
            }
        }
    }

    /**
     * Handles one query read from {@code in}, parsed into the caller's reusable {@code q}. An
     * immediate answer is written to {@code out}; a miss is forwarded and answered through the
     * sink that {@code channel} makes for it (only then is one made). Never throws for bad input.
     */
    public Outcome handle(ByteBuf in, InetSocketAddress client, ParsedQuery q, ByteBuf out, ClientChannel channel) {
        QueryTap t = tap;
        if (t == null || !t.sample()) {
            return answer(in, client, q, out, channel);
        }
        return answerTapped(t, in, client, q, out, channel);
    }

    /**
     * {@link #answer} with dnstap: the query as it came, the answer as it goes, with the policy
     * that made it. With {@code blockedOnly} both are written for policy answers only.
     */
    private Outcome answerTapped(
            QueryTap t, ByteBuf in, InetSocketAddress client, ParsedQuery q, ByteBuf out, ClientChannel channel) {
        int start = in.readerIndex();
        int length = in.readableBytes();
        long queryMillis = clockMillis.getAsLong();
        Scratch s = SCRATCH.get();
        s.hit.clear();
        s.tapping = true;
        s.tapClient = client;
        s.tapChannel = channel;
        s.tapMillis = queryMillis;
        if (t.clientQueries() && !t.blockedOnly()) {
            t.clientQuery(in, start, length, client, channel.localAddress(), channel.transport(), queryMillis);
        }
        Outcome outcome;
        try {
            outcome = answer(in, client, q, out, channel);
        } finally {
            s.tapping = false;
            s.tapClient = null;
            s.tapChannel = null;
        }
        boolean policy = s.hit.verdict() != null;
        if (t.clientQueries() && t.blockedOnly() && policy) {
            t.clientQuery(in, start, length, client, channel.localAddress(), channel.transport(), queryMillis);
        }
        if (outcome == Outcome.ANSWERED && t.clientResponses() && (policy || !t.blockedOnly())) {
            int offset = out.readerIndex() + channel.answerOffset();
            t.clientResponse(
                    out,
                    offset,
                    out.writerIndex() - offset,
                    client,
                    channel.localAddress(),
                    channel.transport(),
                    queryMillis,
                    clockMillis.getAsLong(),
                    s.hit);
        }
        return outcome;
    }

    /** Notes why policy answered, for dnstap; only while a sampled query is answered. */
    private static void noteHit(Verdict v, int match, byte[] value, int length) {
        Scratch s = SCRATCH.get();
        if (s.tapping) {
            s.hit.set(v, match, value, length);
        }
    }

    private Outcome answer(ByteBuf in, InetSocketAddress client, ParsedQuery q, ByteBuf out, ClientChannel channel) {
        LoopCounters counters = metrics.counters();
        counters.query(channel.transport());

        // 1. Header and question. Responses and headerless junk are dropped, never answered.
        ParseResult parsed = QueryParser.parse(in, q);
        switch (parsed) {
            case DROP -> {
                counters.dropped();
                return Outcome.DROPPED;
            }
            case FORMERR -> {
                if (q.questionRead() && q.type() == TYPE_IXFR && handOver(in, client, channel)) {
                    return Outcome.FORWARDED; // IXFR has the secondary's SOA in the authority section
                }
                return rcode(out, q, RCODE_FORMERR, counters);
            }
            case NOTIMP -> {
                if (q.opcode() == OPCODE_NOTIFY && handOver(in, client, channel)) {
                    return Outcome.FORWARDED;
                }
                return rcode(out, q, RCODE_NOTIMP, counters);
            }
            case BADVERS -> {
                return rcode(out, q, RCODE_BADVERS, counters);
            }
            case OK -> {}
        }

        // Zone transfers of a zone we serve (and the SOA queries secondaries send before them)
        // have their own access rules (secondaries, TSIG).
        if ((q.type() == TYPE_AXFR || q.type() == TYPE_IXFR || (q.type() == TYPE_SOA && zoneService.mayServeSoa(q)))
                && handOver(in, client, channel)) {
            return Outcome.FORWARDED;
        }

        // 2. Access, before anything that costs: a refused client gets no cache and no upstream.
        if (!acl.allows(client.getAddress())) {
            counters.aclRefused();
            return rcode(out, q, RCODE_REFUSED, counters);
        }
        counters.client(client.getAddress());

        // Per-client and per-network rate limits, over UDP only: a client over its limit is told
        // to retry over TCP (TC), which a spoofed source cannot do, or hears nothing
        // (limits.overLimit: drop).
        LimitSettings lim = limits;
        QueryLimiter.Over over;
        if (lim.enabled()
                && channel.maxAnswerSize(CLASSIC_UDP_SIZE) <= MAX_UDP_PAYLOAD
                && !lim.exempt().allows(client.getAddress())
                && (over = LIMITER.get().check(client.getAddress(), clockMillis.getAsLong(), lim))
                        != QueryLimiter.Over.NONE) {
            counters.limited(lim.drop(), over == QueryLimiter.Over.NETWORK, client.getAddress());
            if (lim.drop()) {
                return Outcome.DROPPED;
            }
            AnswerWriter.truncated(out, q, ednsUdpSize);
            counters.answered(RCODE_NOERROR);
            return Outcome.ANSWERED;
        }

        // A signed query: the resolver knows no keys (transfers, whose keys the zone service
        // knows, were handed over above), so RFC 8945 §5.2.1's BADKEY, unsigned.
        if (q.hasTsig()) {
            AnswerWriter.tsigBadKey(out, q, in, ednsUdpSize);
            counters.answered(RCODE_NOTAUTH);
            return Outcome.ANSWERED;
        }

        // 3. What a forwarding resolver does not serve: other classes (CH, HS), zone transfers.
        if (q.qclass() != CLASS_IN || q.type() == TYPE_AXFR || q.type() == TYPE_IXFR) {
            return rcode(out, q, RCODE_REFUSED, counters);
        }
        // RFC 8482: ANY gets one small synthesised record, so we are no amplifier.
        if (q.type() == TYPE_ANY) {
            AnswerWriter.minimalAnyAnswer(out, q, ednsUdpSize);
            counters.answered(RCODE_NOERROR);
            return Outcome.ANSWERED;
        }

        // 4. Policy: the client's profile, then the lists as it sees them, before the cache: a
        //    list change is then live at once, and a blocked name is answered without the cache.
        long now = clockMillis.getAsLong();
        Profiles ps = profiles;
        Profile profile = ps.groups().profileFor(client.getAddress(), channel.localAddress(), q);
        int minute = ps.clock().minuteOfWeek(now);
        // RPZ's order within a zone: a client-IP trigger before the query name's. Only lists with
        // client-IP triggers pay for the address copy.
        Verdict verdict = policy.hasClientRules()
                ? profile.decideClient(client.getAddress().getAddress(), policy, minute)
                : null;
        boolean byClient = verdict != null;
        if (verdict == null) {
            verdict = profile.decide(q, policy, minute);
        }
        int maxSize = channel.maxAnswerSize(udpLimit(q));
        if (verdict != null) {
            counters.policyHit(verdict, q, client.getAddress(), profile.slot());
            if (tap != null) {
                if (byClient) {
                    byte[] address = client.getAddress().getAddress();
                    noteHit(verdict, PolicyHit.CLIENT_IP, address, address.length);
                } else {
                    noteHit(verdict, PolicyHit.QNAME, q.name(), q.nameLength());
                }
            }
            boolean resolveNormally = verdict.action() == PolicyAction.PASSTHRU
                    || (verdict.action() == PolicyAction.TCP_ONLY
                            && channel.maxAnswerSize(CLASSIC_UDP_SIZE) > MAX_UDP_PAYLOAD); // over TCP
            if (verdict.action() == PolicyAction.CNAME && verdict.cnameTarget() != null) {
                return redirect(client, q, out, channel, profile, verdict, now, maxSize, true);
            }
            if (!resolveNormally) {
                if (!policyAnswers.write(out, q, verdict, profile, maxSize)) {
                    return Outcome.DROPPED; // DROP: the client hears nothing, as RPZ's rpz-drop
                }
                counters.answered(PolicyAnswers.rcodeOf(verdict.action()));
                return Outcome.ANSWERED;
            }
        }

        // 5. Cache. Where a cached answer leads (CNAME targets, addresses) is checked for this
        //    profile once per list version, so a trigger added after it was cached still applies.
        CachedResponse hit = cache.lookup(q, now, false);
        if (hit != null) {
            counters.cacheHit();
            Verdict led = leadsToBlock(hit, profile, minute, ps, maxSize > MAX_UDP_PAYLOAD);
            if (led != null) {
                counters.policyHit(led, q, client.getAddress(), profile.slot());
                if (led.action() == PolicyAction.CNAME && led.cnameTarget() != null) {
                    return redirect(client, q, out, channel, profile, led, now, maxSize, false);
                }
                if (!policyAnswers.writeForAnswer(out, q, led, profile, maxSize)) {
                    return Outcome.DROPPED;
                }
                counters.answered(PolicyAnswers.rcodeOf(led.action()));
                return Outcome.ANSWERED;
            }
            if (!cache.writeAnswer(out, q, hit, now, ednsUdpSize, maxSize)) {
                counters.truncated();
            }
            counters.answered(hit.rcode());
            return Outcome.ANSWERED;
        }
        counters.cacheMiss();

        // 6. Miss: forward. From here on allocation is fine (a copy of the query, a waiter).
        ParsedQuery detached = q.copy();
        ReplySink sink = channel.sinkFor(client);
        Waiter waiter = new Waiter(detached, detached, null, client.getAddress(), sink, maxSize, profile, tapContext());
        // RFC 8767 §5: if an expired answer exists, the client gets it should the upstreams be slow.
        if (cache.settings().serveStale() && cache.lookup(q, now, true) != null) {
            waiter.staleTimer = sink.eventLoop()
                    .schedule(
                            waiter::staleTimeout,
                            cache.settings().staleClientTimeout().toNanos(),
                            TimeUnit.NANOSECONDS);
        }
        forwarder.forward(detached, sink.eventLoop(), waiter);
        return Outcome.FORWARDED;
    }

    /**
     * A redirect (SafeSearch, RPZ CNAME): the CNAME to the verdict's target followed by the
     * target's records, from the cache or, on a miss, from the upstreams. The answer is never
     * stored under the question's name, so it cannot reach a client of another profile.
     */
    private Outcome redirect(
            InetSocketAddress client,
            ParsedQuery q,
            ByteBuf out,
            ClientChannel channel,
            Profile profile,
            Verdict verdict,
            long now,
            int maxSize,
            boolean authoritative) {
        LoopCounters counters = metrics.counters();
        byte[] target = verdict.cnameTarget();
        Scratch scratch = SCRATCH.get();
        ParsedQuery tq = scratch.redirect;
        if (target == null || !tq.loadRedirect(q, target)) {
            return rcode(out, q, RCODE_SERVFAIL, counters);
        }
        CachedResponse hit = cache.lookup(tq, now, false);
        if (hit != null) {
            counters.cacheHit();
            if (!cache.writeRedirect(
                    out, q, target, policyAnswers.ttl(), hit, now, ednsUdpSize, maxSize, scratch.name, authoritative)) {
                counters.truncated();
            }
            counters.answered(hit.rcode());
            return Outcome.ANSWERED;
        }
        counters.cacheMiss();
        forwardRedirect(
                q,
                tq,
                target,
                client.getAddress(),
                channel.sinkFor(client),
                maxSize,
                profile,
                authoritative,
                tapContext());
        return Outcome.FORWARDED;
    }

    /** A redirect's target is not cached: ask the upstreams for it, answer {@code q} when it comes. */
    private void forwardRedirect(
            ParsedQuery q,
            ParsedQuery tq,
            byte[] target,
            InetAddress client,
            ReplySink sink,
            int maxSize,
            Profile profile,
            boolean authoritative,
            @Nullable TapContext tapContext) {
        ParsedQuery original = q.copy();
        ParsedQuery lookup = tq.copy();
        Waiter waiter = new Waiter(original, lookup, target, client, sink, maxSize, profile, tapContext);
        waiter.authoritative = authoritative;
        forwarder.forward(lookup, sink.eventLoop(), waiter);
    }

    /**
     * The block that a cached answer leads into for {@code profile} (a CNAME/DNAME target or an
     * address the lists now block), or null when it is clean, which is remembered in the entry
     * until the lists or the profiles change. Allocates nothing.
     */
    private @Nullable Verdict leadsToBlock(
            CachedResponse e, Profile profile, int minute, Profiles ps, boolean overTcp) {
        boolean addressRules = policy.hasAddressRules();
        // The memo holds while the lists, the profiles and (with schedules) the minute stay the
        // same: a schedule opening must reach answers already found clean before it opened.
        long when = ps.groups().scheduled() ? minute + 1 : 0;
        int stamp = (int) Hashing.fmix64((policy.version() * 31 + ps.generation()) * 10_081 + when);
        if (!e.needsCheck(stamp, profile.slot(), addressRules)) {
            return null;
        }
        AnswerTargets t = SCRATCH.get().targets;
        t.reset(e);
        for (int kind = t.next(); kind != AnswerTargets.END; kind = t.next()) {
            Verdict v = switch (kind) {
                case AnswerTargets.NAME -> profile.decideTarget(t.name(), policy, minute);
                case AnswerTargets.IPV4 -> addressRules ? profile.decideAddress(t.ipv4(), policy, minute) : null;
                default -> addressRules ? profile.decideAddress(t.ipv6(), policy, minute) : null;
            };
            if (v != null) {
                if (v.action() == PolicyAction.TCP_ONLY && overTcp) {
                    return null; // rpz-tcp-only on an answer address: over TCP the answer stands
                }
                if (tap != null) {
                    switch (kind) {
                        case AnswerTargets.NAME ->
                            noteHit(
                                    v,
                                    PolicyHit.QNAME,
                                    t.name().name(),
                                    t.name().nameLength());
                        case AnswerTargets.IPV4 -> noteHit(v, PolicyHit.RESPONSE_IP, t.ipv4(), 4);
                        default -> noteHit(v, PolicyHit.RESPONSE_IP, t.ipv6(), 16);
                    }
                }
                return v;
            }
        }
        e.markChecked(stamp, profile.slot());
        return null;
    }

    private boolean handOver(ByteBuf in, InetSocketAddress client, ClientChannel channel) {
        ZoneService service = zoneService;
        byte[] message = io.netty.buffer.ByteBufUtil.getBytes(in, in.readerIndex(), in.readableBytes());
        boolean tcp = channel.maxAnswerSize(CLASSIC_UDP_SIZE) > MAX_UDP_PAYLOAD;
        return service.take(message, client, tcp, channel.sinkFor(client));
    }

    /** RFC 6891 §6.2.3-6.2.5: at most what the client advertised and what we advertise; 512 without EDNS. */
    private int udpLimit(ParsedQuery q) {
        return q.hasEdns() ? Math.min(q.udpSize(), ednsUdpSize) : CLASSIC_UDP_SIZE;
    }

    private Outcome rcode(ByteBuf out, ParsedQuery q, int rcode, LoopCounters counters) {
        AnswerWriter.rcodeOnly(out, q, rcode, ednsUdpSize);
        counters.answered(rcode);
        return Outcome.ANSWERED;
    }

    /**
     * A query waiting on the forwarder. It is answered exactly once: by the upstream answer, by a
     * stale entry when its client timer fires first or when the upstreams fail, or with SERVFAIL.
     * All of it runs on the client's event loop, so {@code replied} needs no synchronisation.
     */
    /** Extended DNS Error codes 1-12 (RFC 8914) are DNSSEC failures. */
    private static final int EDE_DNSSEC_FIRST = 1;

    private static final int EDE_DNSSEC_LAST = 12;

    private final class Waiter implements Forwarder.Callback {
        /** The client's question, answered. */
        private final ParsedQuery q;
        /** What was forwarded and is looked up for a stale answer: {@link #q}, or a redirect's target query. */
        private final ParsedQuery lookup;
        /** A redirect's CNAME target (wire form), or null. */
        private final byte @Nullable [] redirect;

        private final InetAddress client;
        private final ReplySink sink;
        private final int maxSize;
        private final Profile profile;
        /** dnstap: the query was tapped, its answer will be too; else null. */
        private final @Nullable TapContext tapContext;

        private boolean replied;
        /** A redirect's answer carries AA (see {@link PacketCache#writeRedirect}). */
        boolean authoritative;

        @Nullable
        ScheduledFuture<?> staleTimer;

        Waiter(
                ParsedQuery q,
                ParsedQuery lookup,
                byte @Nullable [] redirect,
                InetAddress client,
                ReplySink sink,
                int maxSize,
                Profile profile,
                @Nullable TapContext tapContext) {
            this.q = q;
            this.lookup = lookup;
            this.redirect = redirect;
            this.client = client;
            this.sink = sink;
            this.maxSize = maxSize;
            this.profile = profile;
            this.tapContext = tapContext;
        }

        /** Sends an answer, tapped if the query was; {@code hit}: why policy answered, or null. */
        private void send(ByteBuf out, @Nullable PolicyHit hit) {
            TapContext c = tapContext;
            QueryTap t = tap;
            if (c != null && t != null && t.clientResponses() && (hit != null || !t.blockedOnly())) {
                int offset = out.readerIndex() + c.answerOffset();
                t.clientResponse(
                        out,
                        offset,
                        out.writerIndex() - offset,
                        c.client(),
                        c.local(),
                        c.transport(),
                        c.queryMillis(),
                        clockMillis.getAsLong(),
                        hit);
            }
            sink.send(out);
        }

        /** The policy hit this waiter's answer carries when it is not blocked anew: a redirect's. */
        private @Nullable PolicyHit ownHit() {
            TapContext c = tapContext;
            return c == null ? null : c.hit();
        }

        @Override
        public void answered(CachedResponse response) {
            if (replied) {
                return; // the stale answer went out already; the fresh one refreshed the cache
            }
            reply(response, false);
        }

        /** Where the answer leads is blocked for this client's profile: answer as the verdict says. */
        private void blocked(Verdict verdict, @Nullable PolicyHit why) {
            replied = true;
            cancelStaleTimer();
            LoopCounters counters = metrics.counters();
            counters.policyHit(verdict, q, client, profile.slot());
            if (verdict.action() == PolicyAction.CNAME && verdict.cnameTarget() != null) {
                rewrite(verdict.cnameTarget(), why);
                return;
            }
            ByteBuf out = sink.newAnswerBuffer();
            if (!policyAnswers.writeForAnswer(out, q, verdict, profile, maxSize)) {
                out.release(); // DROP: the client hears nothing
                return;
            }
            counters.answered(PolicyAnswers.rcodeOf(verdict.action()));
            send(out, why);
        }

        /**
         * An answer address's RPZ CNAME action: the CNAME to {@code target} and the target's
         * records, from the cache or the upstreams, as for a name's CNAME action.
         */
        private void rewrite(byte[] target, @Nullable PolicyHit why) {
            LoopCounters counters = metrics.counters();
            Scratch scratch = SCRATCH.get();
            ParsedQuery tq = scratch.redirect;
            ByteBuf out = sink.newAnswerBuffer();
            if (!tq.loadRedirect(q, target)) {
                AnswerWriter.rcodeOnly(out, q, RCODE_SERVFAIL, ednsUdpSize);
                counters.answered(RCODE_SERVFAIL);
                send(out, why);
                return;
            }
            long now = clockMillis.getAsLong();
            CachedResponse hit = cache.lookup(tq, now, false);
            if (hit == null) {
                out.release();
                counters.cacheMiss();
                TapContext c = tapContext;
                PolicyHit kept = null;
                if (c != null && why != null) {
                    kept = new PolicyHit();
                    kept.copyFrom(why);
                }
                forwardRedirect(
                        q,
                        tq,
                        target,
                        client,
                        sink,
                        maxSize,
                        profile,
                        false,
                        c == null
                                ? null
                                : new TapContext(
                                        c.client(), c.local(), c.transport(), c.answerOffset(), c.queryMillis(), kept));
                return;
            }
            counters.cacheHit();
            if (!cache.writeRedirect(
                    out, q, target, policyAnswers.ttl(), hit, now, ednsUdpSize, maxSize, scratch.name, false)) {
                counters.truncated();
            }
            counters.answered(hit.rcode());
            send(out, why);
        }

        /** The client has waited {@code cache.staleClientTimeout}: give it the stale answer now. */
        void staleTimeout() {
            if (replied) {
                return;
            }
            CachedResponse stale = cache.lookup(lookup, clockMillis.getAsLong(), true);
            if (stale != null) {
                reply(stale, true);
            }
        }

        @Override
        public void failed() {
            servfail(-1, null);
        }

        @Override
        public void failed(int infoCode, String text) {
            servfail(infoCode, text.getBytes(StandardCharsets.UTF_8));
        }

        /** SERVFAIL, with an Extended DNS Error when {@code text} is set, or a stale answer instead. */
        private void servfail(int infoCode, byte @Nullable [] text) {
            if (replied) {
                return;
            }
            // RFC 8767: the upstreams or the authoritative servers failed, so an expired answer
            // beats none. Not for a DNSSEC failure (EDE 1-12): that is about the data itself.
            if (infoCode < EDE_DNSSEC_FIRST || infoCode > EDE_DNSSEC_LAST) {
                CachedResponse stale = cache.lookup(lookup, clockMillis.getAsLong(), true);
                if (stale != null) {
                    reply(stale, true);
                    return;
                }
            }
            replied = true;
            cancelStaleTimer();
            ByteBuf out = sink.newAnswerBuffer();
            AnswerWriter.rcodeWithError(out, q, RCODE_SERVFAIL, ednsUdpSize, infoCode, text);
            metrics.counters().answered(RCODE_SERVFAIL);
            send(out, ownHit());
        }

        @Override
        public void dropped() {
            if (replied) {
                return;
            }
            replied = true;
            cancelStaleTimer();
            sink.dropped();
        }

        private void cancelStaleTimer() {
            ScheduledFuture<?> t = staleTimer;
            if (t != null) {
                t.cancel(false);
            }
        }

        private void reply(CachedResponse response, boolean stale) {
            long now = clockMillis.getAsLong();
            byte[] target = redirect;
            if (target == null) {
                // A redirect's target is the operator's (or the search engine's) choice: not checked.
                Profiles ps = profiles;
                Scratch sc = SCRATCH.get();
                sc.hit.clear();
                sc.tapping = tapContext != null; // leadsToBlock notes why, for the tapped answer
                Verdict led;
                try {
                    led = leadsToBlock(response, profile, ps.clock().minuteOfWeek(now), ps, maxSize > MAX_UDP_PAYLOAD);
                } finally {
                    sc.tapping = false;
                }
                if (led != null) {
                    blocked(led, tapContext != null ? sc.hit : null);
                    return;
                }
            }
            replied = true;
            cancelStaleTimer();
            LoopCounters counters = metrics.counters();
            ByteBuf out = sink.newAnswerBuffer();
            boolean whole = target == null
                    ? cache.writeAnswer(out, q, response, now, ednsUdpSize, maxSize)
                    : cache.writeRedirect(
                            out,
                            q,
                            target,
                            policyAnswers.ttl(),
                            response,
                            now,
                            ednsUdpSize,
                            maxSize,
                            SCRATCH.get().name,
                            authoritative);
            if (!whole) {
                counters.truncated();
            }
            if (stale) {
                counters.staleServed();
            }
            counters.answered(response.rcode());
            send(out, ownHit());
        }
    }
}
