package org.safenet.dns.resolver.recursion;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoop;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.resolver.cache.CachedResponse;
import org.safenet.dns.resolver.cache.PacketCache;
import org.safenet.dns.resolver.cache.UpstreamResponses;
import org.safenet.dns.resolver.dnssec.Validation;
import org.safenet.dns.resolver.upstream.Forwarder;
import org.safenet.dns.resolver.upstream.MissResolver;
import org.safenet.dns.resolver.wire.ParsedQuery;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.EDNSOption;
import org.xbill.DNS.ExtendedErrorCodeOption;
import org.xbill.DNS.ExtendedFlags;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.RRSIGRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * The miss path of recursive mode and of validated forwarding: a question becomes a dnsjava
 * {@link Message}, goes to the fetching resolver (the {@link IterativeResolver}, or the upstreams)
 * through the validator unless it is off or the name is under a negative trust anchor, and the
 * answer comes back as wire bytes into the packet cache (with its AD bit) and to every waiting
 * query on its own event loop. A bogus answer is SERVFAIL with the validator's Extended DNS Error.
 * Identical questions in flight share one resolution; past {@code maxPending} questions a new one
 * is shed with SERVFAIL, as a forwarded miss is.
 */
public final class ColdResolution implements MissResolver {
    private static final Logger log = LoggerFactory.getLogger(ColdResolution.class);
    /** The longest EDE text passed to a client (the validator's reasons can be long). */
    static final int MAX_EDE_TEXT = 200;

    private record Waiting(ParsedQuery q, EventLoop loop, Forwarder.Callback callback) {}

    private final Resolver fetching;
    private final @Nullable Validation validation;
    private final PacketCache cache;
    private final LongSupplier clockMillis;
    private final int maxPending;
    private final Map<String, List<Waiting>> inFlight = new HashMap<>();
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    /**
     * Questions resolved at once; the others wait their turn (queued, not shed: {@code maxPending}
     * bounds those). Beyond a few hundred, more concurrency only adds upstream queries in flight
     * that time out under their own weight on a small box (decision 0017).
     */
    static final int CONCURRENT_RESOLUTIONS = 256;

    private final Semaphore resolving = new Semaphore(CONCURRENT_RESOLUTIONS);
    private final SignatureTimes expiry;
    /** Questions that failed (not for DNSSEC reasons) and until when they are answered SERVFAIL at once. */
    private final Bounded<String, Long> recentFailures = new Bounded<>(10_000);

    private final long failureTtlMillis;
    private final AtomicLong bogus = new AtomicLong();
    private final AtomicLong secure = new AtomicLong();

    /**
     * @param fetching gets the data (with DNSSEC records when asked with DO)
     * @param validation validates what {@code fetching} gets, or null for none
     * @param maxPending questions being resolved or waiting their turn; past it a new one is shed
     *     (SERVFAIL), as {@code upstream.maxPending} sheds forwarded misses
     * @param failureTtl how long a question that failed is answered SERVFAIL without trying again
     *     (RFC 9520; {@code upstream.failureCacheTtl})
     */
    public ColdResolution(
            Resolver fetching,
            @Nullable Validation validation,
            PacketCache cache,
            LongSupplier clockMillis,
            int maxPending,
            Duration failureTtl) {
        this.fetching = fetching;
        this.validation = validation;
        this.cache = cache;
        this.clockMillis = clockMillis;
        this.maxPending = Math.max(1, maxPending);
        this.failureTtlMillis = failureTtl.toMillis();
        this.expiry = new SignatureTimes(fetching, clockMillis);
    }

    /** Answers the validator found bogus so far. */
    public long bogusAnswers() {
        return bogus.get();
    }

    /** Answers the validator found secure so far. */
    public long secureAnswers() {
        return secure.get();
    }

    @Override
    public int pending() {
        synchronized (inFlight) {
            return inFlight.size();
        }
    }

    @Override
    public void resolve(ParsedQuery q, EventLoop loop, Forwarder.Callback callback) {
        String key = q.questionKey();
        Waiting w = new Waiting(q, loop, callback);
        long now = clockMillis.getAsLong();
        Long failedUntil = recentFailures.get(key);
        if (failedUntil != null && failedUntil > now) {
            // RFC 9520: a question that just failed is not resolved again at once.
            callback.failed();
            return;
        }
        synchronized (inFlight) {
            List<Waiting> same = inFlight.get(key);
            if (same != null) {
                same.add(w);
                return;
            }
            if (inFlight.size() >= maxPending) {
                callback.failed();
                return;
            }
            List<Waiting> list = new ArrayList<>(1);
            list.add(w);
            inFlight.put(key, list);
        }
        Message query;
        try {
            query = Message.newQuery(
                    Record.newRecord(new Name(Arrays.copyOf(q.name(), q.nameLength())), q.type(), q.qclass()));
        } catch (IOException | RuntimeException e) {
            finish(key, q, null, e);
            return;
        }
        if (q.checkingDisabled()) {
            query.getHeader().setFlag(Flags.CD);
        }
        query.addRecord(new OPTRecord(1232, 0, 0, ExtendedFlags.DO), Section.ADDITIONAL);
        Validation v = validation;
        Resolver r = v == null || v.exempt(query.getQuestion().getName()) ? fetching : v.resolver();
        Message asked = query;
        threads.execute(() -> {
            Message m = null;
            Throwable error = null;
            try {
                resolving.acquire();
                try {
                    m = r.sendAsync(asked, threads).toCompletableFuture().get();
                } finally {
                    resolving.release();
                }
            } catch (ExecutionException e) {
                error = e.getCause();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                error = e;
            }
            finish(key, q, m, error);
        });
    }

    private void finish(String key, ParsedQuery q, @Nullable Message m, @Nullable Throwable error) {
        List<Waiting> waiting;
        synchronized (inFlight) {
            waiting = inFlight.remove(key);
        }
        if (waiting == null || waiting.isEmpty()) {
            return;
        }
        if (m == null) {
            rememberFailure(key);
            log.debug("{}: {}", q.nameText(), error == null ? "no answer" : error.toString());
            if (error instanceof IterativeResolver.Unresolvable u) {
                String text = u.getMessage() == null ? "" : u.getMessage();
                String shown = text.length() > MAX_EDE_TEXT ? text.substring(0, MAX_EDE_TEXT) : text;
                waiting.forEach(w -> w.loop().execute(() -> w.callback().failed(u.infoCode(), shown)));
            } else {
                waiting.forEach(w -> w.loop().execute(() -> w.callback().failed()));
            }
            return;
        }
        int rcode = m.getRcode();
        if (rcode != Rcode.NOERROR && rcode != Rcode.NXDOMAIN) {
            ExtendedErrorCodeOption ede = edeOf(m);
            if (ede == null || !isDnssecError(ede.getErrorCode())) {
                rememberFailure(key);
            }
            if (ede == null) {
                waiting.forEach(w -> w.loop().execute(() -> w.callback().failed()));
                return;
            }
            int code = ede.getErrorCode();
            if (isDnssecError(code)) {
                bogus.incrementAndGet();
            }
            String text = text(ede);
            if (code == ExtendedErrorCodeOption.DNSSEC_BOGUS) {
                // Blocking lookups, on this question's virtual thread.
                int refined =
                        expiry.refine(m.getQuestion().getName(), m.getQuestion().getType());
                waiting.forEach(w -> w.loop().execute(() -> w.callback().failed(refined, text)));
                return;
            }
            waiting.forEach(w -> w.loop().execute(() -> w.callback().failed(code, text)));
            return;
        }
        if (m.getHeader().getFlag(Flags.AD)) {
            secure.incrementAndGet();
        }
        Message answer = q.dnssecOk() ? m : withoutDnssecRecords(m, q.type());
        ByteBuf wire = Unpooled.wrappedBuffer(answer.toWire());
        UpstreamResponses.Decoded d = UpstreamResponses.decode(
                wire, answer.getHeader().getID(), q, cache.seed(), cache.settings(), clockMillis.getAsLong());
        CachedResponse entry = d.entry();
        if (d.status() != UpstreamResponses.Status.OK || entry == null) {
            log.debug("{}: the resolved answer did not decode ({})", q.nameText(), d.status());
            waiting.forEach(w -> w.loop().execute(() -> w.callback().failed()));
            return;
        }
        if (d.cacheable()) {
            cache.store(entry);
        }
        waiting.forEach(w -> w.loop().execute(() -> w.callback().answered(entry)));
    }

    private void rememberFailure(String key) {
        if (failureTtlMillis > 0) {
            recentFailures.put(key, clockMillis.getAsLong() + failureTtlMillis);
        }
    }

    /** RFC 8914 codes 1-12: DNSSEC trouble (not "no reachable authority" and friends). */
    private static boolean isDnssecError(int code) {
        return code >= 1 && code <= 12;
    }

    private static String text(ExtendedErrorCodeOption ede) {
        String t = ede.getText() == null ? "" : ede.getText();
        return t.length() > MAX_EDE_TEXT ? t.substring(0, MAX_EDE_TEXT) : t;
    }

    private static @Nullable ExtendedErrorCodeOption edeOf(Message m) {
        OPTRecord opt = m.getOPT();
        if (opt == null) {
            return null;
        }
        for (EDNSOption o : opt.getOptions()) {
            if (o instanceof ExtendedErrorCodeOption e) {
                return e;
            }
        }
        return null;
    }

    /**
     * {@code m} without RRSIG, NSEC and NSEC3 records (unless asked for) for a client that did not
     * set DO (RFC 4035 §3.2.1); the OPT goes too (the cache keeps none).
     */
    static Message withoutDnssecRecords(Message m, int qtype) {
        Message out = new Message(m.getHeader().getID());
        for (int flag : new int[] {Flags.QR, Flags.AA, Flags.RD, Flags.RA, Flags.AD, Flags.CD}) {
            if (m.getHeader().getFlag(flag)) {
                out.getHeader().setFlag(flag);
            }
        }
        out.getHeader().setRcode(m.getRcode());
        out.addRecord(m.getQuestion(), Section.QUESTION);
        for (int section : new int[] {Section.ANSWER, Section.AUTHORITY, Section.ADDITIONAL}) {
            for (Record rec : m.getSection(section)) {
                int type = rec.getType();
                boolean dnssec = type == Type.RRSIG || type == Type.NSEC || type == Type.NSEC3;
                if (type == Type.OPT
                        || (dnssec && type != qtype && !(rec instanceof RRSIGRecord && qtype == Type.RRSIG))) {
                    continue;
                }
                out.addRecord(rec, section);
            }
        }
        return out;
    }

    /** Stops the resolution threads (questions in flight are not answered). */
    public void close() {
        threads.shutdownNow();
    }
}
