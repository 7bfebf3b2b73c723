package org.safenet.dns.resolver.recursion;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.CookieOption;
import org.xbill.DNS.DClass;
import org.xbill.DNS.EDNSOption;
import org.xbill.DNS.ExtendedFlags;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.NSRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.RRSIGRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.Section;
import org.xbill.DNS.TSIG;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * Resolves a question from the root down, as a dnsjava {@link Resolver} so that dnsjava's
 * validator can sit on top of it (it asks its DNSKEY and DS questions through this too).
 *
 * <p>One client question runs on one virtual thread; the lookups of name-server addresses without
 * glue run in parallel on more. It primes from the root hints (RFC 8109), follows referrals with
 * the bailiwick rules (records outside the zone asked are dropped, glue only from the referring
 * zone), CNAME and DNAME chains (at most {@value #MAX_CHAIN} hops, loops refused), minimises the
 * name it asks each server (RFC 9156, relaxed), randomises letter case (0x20) and requires it
 * echoed, sends DNS cookies and checks them, asks over TCP after TC ({@link AuthorityClient}: a
 * fresh socket on a random port per query, a CSPRNG query ID) and without EDNS a server that
 * answers EDNS with FORMERR. Every upstream query a
 * client question causes, nested lookups included, is counted against {@link
 * RecursionSettings#maxQueries()} and {@link RecursionSettings#maxTime()}; a delegation to more
 * than {@value #MAX_NS_PER_DELEGATION} servers is cut to that many, and at most {@value
 * #MAX_GLUELESS} server names without glue are looked up per delegation (the NXNSAttack bounds).
 */
public final class IterativeResolver implements Resolver {
    private static final Logger log = LoggerFactory.getLogger(IterativeResolver.class);

    /** CNAME/DNAME hops one question may follow (Unbound's restarts: 11). */
    static final int MAX_CHAIN = 11;
    /** Referrals one lookup may follow. */
    static final int MAX_REFERRALS = 30;
    /** Name servers kept of one delegation. */
    static final int MAX_NS_PER_DELEGATION = 13;
    /** Server names without glue looked up for one delegation (NXNSAttack; BIND and Unbound use 5 or fewer). */
    static final int MAX_GLUELESS = 5;
    /** Nesting of name-server address lookups. */
    static final int MAX_DEPTH = 4;
    /** Labels added one at a time by QNAME minimisation before the full name is asked (RFC 9156 §2.3). */
    static final int MAX_MINIMISE_COUNT = 10;
    /** Servers of one zone tried for one question. */
    static final int MAX_SERVERS_TRIED = 4;
    /** The EDNS UDP size we advertise to authoritative servers (DNS flag day 2020). */
    static final int EDNS_SIZE = 1232;
    /** Longest time a delegation or an address is kept. */
    static final long MAX_INFRA_TTL_SECONDS = 86_400;

    /** EDE info codes (RFC 8914) for resolution failures. */
    static final int EDE_OTHER = 0;

    static final int EDE_NO_REACHABLE_AUTHORITY = 22;
    static final int EDE_NETWORK_ERROR = 23;

    /** A zone cut: the zone, its servers' names, the addresses the referral gave for them. */
    record Delegation(
            Name zone,
            List<Name> servers,
            Map<Name, List<InetAddress>> glue,
            long expiresMillis,
            AtomicInteger gluelessLookups) {
        Delegation(Name zone, List<Name> servers, Map<Name, List<InetAddress>> glue, long expiresMillis) {
            this(zone, servers, glue, expiresMillis, new AtomicInteger());
        }
    }

    private record Addresses(List<InetAddress> list, long expiresMillis) {}

    /** Why a question could not be resolved: its EDE code and text. */
    static final class ResolutionFailure extends Exception {
        private static final long serialVersionUID = 1L;
        final int infoCode;

        ResolutionFailure(int infoCode, String message) {
            super(message, null, false, false);
            this.infoCode = infoCode;
        }
    }

    /** The budget of one client question, shared by its nested lookups. */
    static final class Work {
        final AtomicInteger left;
        final long deadlineNanos;
        final int depth;

        Work(int queries, long deadlineNanos, int depth) {
            this(new AtomicInteger(queries), deadlineNanos, depth);
        }

        private Work(AtomicInteger left, long deadlineNanos, int depth) {
            this.left = left;
            this.deadlineNanos = deadlineNanos;
            this.depth = depth;
        }

        Work nested() {
            return new Work(left, deadlineNanos, depth + 1);
        }

        void spend(int max) throws ResolutionFailure {
            if (left.decrementAndGet() < 0) {
                throw new ResolutionFailure(EDE_OTHER, "more than " + max + " upstream queries for one question");
            }
            if (System.nanoTime() > deadlineNanos) {
                throw new ResolutionFailure(EDE_NO_REACHABLE_AUTHORITY, "resolution took too long");
            }
        }

        long remainingMillis() {
            return TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
        }
    }

    private final RecursionSettings settings;
    private final ServerStates servers;
    private final Bounded<Name, Delegation> delegations;
    private final Bounded<Name, Addresses> addresses;
    /** Names a minimised query found not to be zone cuts, and until when (ms) that holds. */
    private final Bounded<Name, Long> notCuts;

    private final LongSupplier clockMillis;
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    private final int port;
    private final AtomicLong queriesSent = new AtomicLong();
    private final AtomicLong timeouts = new AtomicLong();

    public IterativeResolver(RecursionSettings settings, LongSupplier clockMillis) {
        this(settings, clockMillis, 53);
    }

    /** {@code port}: where authoritative servers listen (53; a lab or test hierarchy may use another). */
    public IterativeResolver(RecursionSettings settings, LongSupplier clockMillis, int port) {
        this.settings = settings;
        this.clockMillis = clockMillis;
        this.port = port;
        this.servers = new ServerStates(settings.infrastructureEntries());
        this.delegations = new Bounded<>(settings.infrastructureEntries());
        this.addresses = new Bounded<>(settings.infrastructureEntries());
        this.notCuts = new Bounded<>(settings.infrastructureEntries());
    }

    /** Queries sent to authoritative servers so far. */
    public long queriesSent() {
        return queriesSent.get();
    }

    /** Of them, unanswered within their timeout. */
    public long timeouts() {
        return timeouts.get();
    }

    /** Delegations held now (bounded by {@link RecursionSettings#infrastructureEntries()}). */
    public int delegationsCached() {
        return delegations.size();
    }

    @Override
    public CompletionStage<Message> sendAsync(Message query, Executor executor) {
        CompletableFuture<Message> f = new CompletableFuture<>();
        threads.execute(() -> {
            try {
                f.complete(resolveOrThrow(query));
            } catch (ResolutionFailure e) {
                // Not a SERVFAIL message: the validator would call that answer bogus (EDE 6) and
                // hide why it failed. An exception travels through it as it is.
                f.completeExceptionally(new Unresolvable(e.infoCode, e.getMessage()));
            } catch (RuntimeException | Error e) {
                f.completeExceptionally(e);
            }
        });
        return f;
    }

    /** A question that could not be resolved, with its Extended DNS Error (RFC 8914). */
    public static final class Unresolvable extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final int infoCode;

        Unresolvable(int infoCode, String message) {
            super(message, null, false, false);
            this.infoCode = infoCode;
        }

        /** The EDE info code: 22 No Reachable Authority, 0 Other, ... */
        public int infoCode() {
            return infoCode;
        }
    }

    /** Resolves {@code query}'s question. @throws ResolutionFailure when it cannot be */
    Message resolveOrThrow(Message query) throws ResolutionFailure {
        Record question = query.getQuestion();
        Work work = new Work(
                settings.maxQueries(), System.nanoTime() + settings.maxTime().toNanos(), 0);
        Message answer = resolveChain(question.getName(), question.getType(), work);
        answer.getHeader().setID(query.getHeader().getID());
        answer.getHeader().setFlag(Flags.QR);
        answer.getHeader().setFlag(Flags.RA);
        if (query.getHeader().getFlag(Flags.RD)) {
            answer.getHeader().setFlag(Flags.RD);
        }
        return answer;
    }

    /** The answer to {@code qname}/{@code qtype}, CNAME and DNAME chains followed, as one message. */
    Message resolveChain(Name qname, int qtype, Work work) throws ResolutionFailure {
        Message out = new Message();
        out.addRecord(Record.newRecord(qname, qtype, DClass.IN), Section.QUESTION);
        Set<Record> added = new HashSet<>();
        Set<Name> seen = new HashSet<>();
        Name current = qname;
        for (int hop = 0; hop <= MAX_CHAIN; hop++) {
            if (!seen.add(current)) {
                throw new ResolutionFailure(EDE_OTHER, "CNAME loop at " + current);
            }
            Message r = lookup(current, qtype, work);
            for (Record rec : r.getSection(Section.ANSWER)) {
                if (added.add(rec)) {
                    out.addRecord(rec, Section.ANSWER);
                }
            }
            Name end = follow(r, current, qtype);
            int rcode = r.getRcode();
            if (hasData(r, end, qtype)) {
                copyProofs(r, out, false);
                return out;
            }
            if (rcode == Rcode.NXDOMAIN || end.equals(current)) {
                out.getHeader().setRcode(rcode);
                copyProofs(r, out, true);
                return out;
            }
            current = end;
        }
        throw new ResolutionFailure(EDE_OTHER, "CNAME chain longer than " + MAX_CHAIN + " from " + qname);
    }

    /** Where {@code name}'s CNAMEs in {@code r}'s answer lead (a DNAME's synthesised CNAME included). */
    private static Name follow(Message r, Name name, int qtype) {
        if (qtype == Type.CNAME) {
            return name;
        }
        Name at = name;
        for (int i = 0; i <= MAX_CHAIN; i++) {
            Name next = null;
            for (Record rec : r.getSection(Section.ANSWER)) {
                if (rec instanceof CNAMERecord c && c.getName().equals(at)) {
                    next = c.getTarget();
                    break;
                }
            }
            if (next == null) {
                return at;
            }
            at = next;
        }
        return at;
    }

    private static boolean hasData(Message r, Name name, int qtype) {
        for (Record rec : r.getSection(Section.ANSWER)) {
            if (rec.getName().equals(name) && (rec.getType() == qtype || qtype == Type.ANY)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Copies what proves the answer to the validator: the SOA (negative answers) and the NSEC and
     * NSEC3 records (a denial, or a wildcard's proof), with their signatures.
     */
    private static void copyProofs(Message from, Message to, boolean negative) {
        for (Record rec : from.getSection(Section.AUTHORITY)) {
            int type = rec instanceof RRSIGRecord sig ? sig.getTypeCovered() : rec.getType();
            if (type == Type.NSEC || type == Type.NSEC3 || (negative && type == Type.SOA)) {
                to.addRecord(rec, Section.AUTHORITY);
            }
        }
    }

    /**
     * The authoritative answer for one name (no chain followed): from the closest known zone cut
     * down, referral by referral. A DS question goes to the parent's servers.
     */
    Message lookup(Name name, int type, Work work) throws ResolutionFailure {
        boolean ds = type == Type.DS && name.labels() > 1;
        Delegation d = closest(ds ? parent(name) : name, work);
        boolean minimise = settings.qnameMinimisation();
        int labels = d.zone().labels() + 1;
        int minimised = 0;
        long now = clockMillis.getAsLong();
        while (minimise && labels < name.labels()) {
            // Names already seen not to be zone cuts need not be asked about again.
            Long until = notCuts.get(new Name(name, name.labels() - labels));
            if (until == null || until <= now) {
                break;
            }
            labels++;
        }
        for (int step = 0; step < MAX_REFERRALS + MAX_MINIMISE_COUNT; step++) {
            boolean partial = minimise && labels < name.labels();
            Name qn = partial ? new Name(name, name.labels() - labels) : name;
            int qt = partial ? Type.A : type;
            Message r = ask(d, qn, qt, work);
            Delegation next = referral(r, d, qn);
            if (next != null) {
                if (ds && next.zone().equals(name)) {
                    throw new ResolutionFailure(
                            EDE_OTHER, "the servers of " + d.zone() + " refer the DS of " + name + " to itself");
                }
                delegations.put(next.zone(), next);
                d = next;
                labels = Math.max(labels, d.zone().labels() + 1);
                continue;
            }
            if (partial) {
                if (r.getRcode() == Rcode.NOERROR && ++minimised < MAX_MINIMISE_COUNT) {
                    notCuts.put(qn, clockMillis.getAsLong() + 1000 * notCutSeconds(r));
                    labels++; // no zone cut at qn: one label more
                } else {
                    // NXDOMAIN for a minimised name (a server that mishandles empty non-terminals) or
                    // too many labels: the full name (relaxed minimisation, as Unbound's default).
                    minimise = false;
                }
                continue;
            }
            return r;
        }
        throw new ResolutionFailure(EDE_OTHER, "more than " + MAX_REFERRALS + " referrals for " + name);
    }

    /** How long an answer saying "no zone cut here" is believed: its smallest TTL, 5 s to 5 min. */
    private static long notCutSeconds(Message r) {
        long ttl = 300;
        for (int section : new int[] {Section.ANSWER, Section.AUTHORITY}) {
            for (Record rec : r.getSection(section)) {
                ttl = Math.min(ttl, rec.getTTL());
            }
        }
        return Math.max(5, ttl);
    }

    private static Name parent(Name name) {
        return new Name(name, 1);
    }

    /** The deepest known zone cut at or above {@code name}; the (primed) root at the top. */
    private Delegation closest(Name name, Work work) throws ResolutionFailure {
        long now = clockMillis.getAsLong();
        for (Name n = name; n.labels() > 1; n = parent(n)) {
            Delegation d = delegations.get(n);
            if (d != null && d.expiresMillis() > now) {
                return d;
            }
        }
        return root(work);
    }

    /** The root's servers: primed from the hints (RFC 8109), the hints themselves if priming fails. */
    private Delegation root(Work work) throws ResolutionFailure {
        long now = clockMillis.getAsLong();
        Delegation d = delegations.get(Name.root);
        if (d != null && d.expiresMillis() > now) {
            return d;
        }
        Map<Name, List<InetAddress>> hinted = settings.hints().servers();
        Delegation hints = new Delegation(Name.root, List.copyOf(hinted.keySet()), hinted, now + 60_000);
        Delegation primed = hints;
        try {
            Message r = ask(hints, Name.root, Type.NS, work);
            Delegation fromAnswer = delegationFrom(r, Section.ANSWER, Name.root, Name.root, now);
            if (fromAnswer != null && !fromAnswer.glue().isEmpty()) {
                primed = fromAnswer;
            }
        } catch (ResolutionFailure e) {
            log.warn("priming the root servers failed ({}); using the hints for a minute", e.getMessage());
        }
        delegations.put(Name.root, primed);
        return primed;
    }

    /** A referral in {@code r} to a zone below {@code d}'s and at or above {@code qn}, or null. */
    private @Nullable Delegation referral(Message r, Delegation d, Name qn) {
        if (r.getRcode() != Rcode.NOERROR || !r.getSection(Section.ANSWER).isEmpty()) {
            return null;
        }
        Name cut = null;
        for (Record rec : r.getSection(Section.AUTHORITY)) {
            if (rec instanceof NSRecord
                    && !rec.getName().equals(d.zone())
                    && rec.getName().subdomain(d.zone())
                    && qn.subdomain(rec.getName())) {
                cut = rec.getName();
                break;
            }
        }
        return cut == null ? null : delegationFrom(r, Section.AUTHORITY, cut, d.zone(), clockMillis.getAsLong());
    }

    /**
     * The delegation to {@code cut} that {@code section}'s NS records give, with glue from the
     * additional section for names within {@code bailiwick} (the zone that answered).
     */
    private static @Nullable Delegation delegationFrom(Message r, int section, Name cut, Name bailiwick, long now) {
        List<Name> names = new ArrayList<>();
        long ttl = MAX_INFRA_TTL_SECONDS;
        for (Record rec : r.getSection(section)) {
            if (rec instanceof NSRecord ns && rec.getName().equals(cut) && !names.contains(ns.getTarget())) {
                names.add(ns.getTarget());
                ttl = Math.min(ttl, rec.getTTL());
            }
        }
        if (names.isEmpty()) {
            return null;
        }
        if (names.size() > MAX_NS_PER_DELEGATION) {
            Collections.shuffle(names);
            names = names.subList(0, MAX_NS_PER_DELEGATION);
        }
        Map<Name, List<InetAddress>> glue = new LinkedHashMap<>();
        for (Record rec : r.getSection(Section.ADDITIONAL)) {
            InetAddress a = rec instanceof ARecord ar
                    ? ar.getAddress()
                    : rec instanceof AAAARecord aaaa ? aaaa.getAddress() : null;
            if (a != null && names.contains(rec.getName()) && rec.getName().subdomain(bailiwick)) {
                glue.computeIfAbsent(rec.getName(), n -> new ArrayList<>()).add(a);
            }
        }
        return new Delegation(cut, List.copyOf(names), glue, now + Math.max(5, ttl) * 1000);
    }

    /**
     * Asks {@code d}'s servers, best first, until one gives a usable answer: NOERROR or NXDOMAIN,
     * authoritative, with an answer, or a referral. Records outside {@code d}'s zone are dropped.
     */
    private Message ask(Delegation d, Name qn, int qt, Work work) throws ResolutionFailure {
        List<InetAddress> candidates = servers.order(addressesOf(d, work), clockMillis.getAsLong());
        int tried = 0;
        boolean answered = false;
        for (InetAddress server : candidates) {
            if (tried++ >= MAX_SERVERS_TRIED) {
                break;
            }
            Message r = exchange(server, qn, qt, work, true, true);
            if (r == null) {
                continue;
            }
            answered = true;
            int rcode = r.getRcode();
            if (rcode != Rcode.NOERROR && rcode != Rcode.NXDOMAIN) {
                continue; // SERVFAIL, REFUSED, ...: lame for this question
            }
            Message scrubbed = scrub(r, d.zone());
            if (scrubbed.getHeader().getFlag(Flags.AA)
                    || !scrubbed.getSection(Section.ANSWER).isEmpty()
                    || hasReferral(scrubbed, d.zone())) {
                return scrubbed;
            }
        }
        throw new ResolutionFailure(
                answered ? EDE_OTHER : EDE_NO_REACHABLE_AUTHORITY,
                (answered ? "no usable answer from the servers of " : "no server of ") + d.zone()
                        + (answered ? "" : " answered") + " for " + qn + " " + Type.string(qt));
    }

    private static boolean hasReferral(Message r, Name zone) {
        for (Record rec : r.getSection(Section.AUTHORITY)) {
            if (rec instanceof NSRecord && !rec.getName().equals(zone)) {
                return true;
            }
        }
        return false;
    }

    /** {@code r} without the records outside {@code zone} (the bailiwick rule) and without its OPT. */
    private static Message scrub(Message r, Name zone) {
        Message out = new Message(r.getHeader().getID());
        for (int flag : new int[] {Flags.QR, Flags.AA, Flags.TC, Flags.RD, Flags.RA, Flags.AD, Flags.CD}) {
            if (r.getHeader().getFlag(flag)) {
                out.getHeader().setFlag(flag);
            }
        }
        out.getHeader().setRcode(r.getRcode());
        out.addRecord(r.getQuestion(), Section.QUESTION);
        for (int section : new int[] {Section.ANSWER, Section.AUTHORITY, Section.ADDITIONAL}) {
            for (Record rec : r.getSection(section)) {
                if (rec.getType() != Type.OPT && rec.getName().subdomain(zone)) {
                    out.addRecord(rec, section);
                }
            }
        }
        return out;
    }

    /**
     * One query to one server; null when it timed out, failed, or its answer was not acceptable
     * (letter case or cookie not echoed). Retries once without 0x20 or EDNS for a server that does
     * not handle them, and once with a fresh server cookie after BADCOOKIE.
     */
    private @Nullable Message exchange(
            InetAddress server, Name qn, int qt, Work work, boolean retryCase, boolean retryCookie)
            throws ResolutionFailure {
        work.spend(settings.maxQueries());
        ServerStates.State st = servers.of(server);
        boolean mix = settings.caseRandomisation() && !st.noCaseEcho;
        Name sent = mix ? randomCase(qn) : qn;
        Message query = Message.newQuery(Record.newRecord(sent, qt, DClass.IN));
        query.getHeader().unsetFlag(Flags.RD);
        long timeout = Math.min(
                servers.timeoutMillis(server, settings.timeout().toMillis()), Math.max(50, work.remainingMillis()));
        byte[] clientCookie = servers.clientCookie(server);
        if (!st.noEdns) {
            List<EDNSOption> options = List.of();
            if (settings.cookies()) {
                byte[] sc = st.serverCookie;
                options = List.of(sc == null ? new CookieOption(clientCookie) : new CookieOption(clientCookie, sc));
            }
            query.addRecord(new OPTRecord(EDNS_SIZE, 0, 0, ExtendedFlags.DO, options), Section.ADDITIONAL);
        }
        queriesSent.incrementAndGet();
        long t0 = System.nanoTime();
        Message response;
        try {
            response =
                    AuthorityClient.exchange(query, qn.toWireCanonical(), new InetSocketAddress(server, port), timeout);
        } catch (AuthorityClient.Timeout e) {
            timeouts.incrementAndGet();
            servers.timedOut(server, clockMillis.getAsLong(), timeout);
            return null;
        } catch (IOException e) {
            // Port unreachable, no route, a TCP failure: as bad as a timeout for choosing servers.
            servers.timedOut(server, clockMillis.getAsLong(), timeout);
            log.debug("{} for {} {}: {}", server.getHostAddress(), qn, Type.string(qt), e.toString());
            return null;
        }
        servers.answered(server, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
        if (response == null) {
            // Either it does not keep letter case (then once without) or the answer is forged.
            log.debug("{} did not echo the name {} as sent", server.getHostAddress(), sent);
            if (!mix) {
                return null;
            }
            st.noCaseEcho = true;
            return retryCase ? exchange(server, qn, qt, work, false, retryCookie) : null;
        }
        OPTRecord opt = response.getOPT();
        if (opt != null && settings.cookies() && !st.noEdns) {
            for (EDNSOption o : opt.getOptions()) {
                if (o instanceof CookieOption c) {
                    if (!Arrays.equals(c.getClientCookie(), clientCookie)) {
                        log.debug(
                                "{} answered with a client cookie that is not ours: dropped", server.getHostAddress());
                        return null; // RFC 7873 §5.3: not an answer to our query
                    }
                    st.serverCookie = c.getServerCookie().orElse(null);
                }
            }
        }
        int rcode = response.getRcode();
        if (rcode == Rcode.BADCOOKIE && retryCookie) {
            return exchange(server, qn, qt, work, retryCase, false);
        }
        if ((rcode == Rcode.FORMERR || rcode == Rcode.NOTIMP) && !st.noEdns) {
            st.noEdns = true; // RFC 6891 §7: a server without EDNS is asked without it
            return exchange(server, qn, qt, work, retryCase, retryCookie);
        }
        return response;
    }

    /** {@code name} with each letter's case chosen at random (draft-vixie-dnsext-dns0x20). */
    static Name randomCase(Name name) {
        String text = name.toString();
        StringBuilder b = new StringBuilder(text.length());
        ThreadLocalRandom random = ThreadLocalRandom.current();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            b.append(
                    Character.isLetter(c) && c < 128 && random.nextBoolean()
                            ? (Character.isUpperCase(c) ? Character.toLowerCase(c) : Character.toUpperCase(c))
                            : c);
        }
        try {
            return Name.fromString(b.toString());
        } catch (TextParseException e) {
            return name;
        }
    }

    /**
     * The addresses to ask {@code d}'s servers at: the referral's glue and known addresses; if
     * there are none, up to {@value #MAX_GLUELESS} server names looked up in parallel, the first
     * to resolve used.
     */
    private List<InetAddress> addressesOf(Delegation d, Work work) throws ResolutionFailure {
        long now = clockMillis.getAsLong();
        List<InetAddress> out = new ArrayList<>();
        List<Name> unknown = new ArrayList<>();
        for (Name ns : d.servers()) {
            List<InetAddress> glue = d.glue().get(ns);
            Addresses known = addresses.get(ns);
            if (glue != null) {
                out.addAll(glue);
            } else if (known != null && known.expiresMillis() > now) {
                out.addAll(known.list());
            } else if (!ns.subdomain(d.zone())) {
                unknown.add(ns); // a name inside the zone without glue cannot be looked up without it
            }
        }
        if (!out.isEmpty() || unknown.isEmpty()) {
            return out;
        }
        if (work.depth >= MAX_DEPTH) {
            throw new ResolutionFailure(EDE_OTHER, "name-server lookups nested too deep below " + d.zone());
        }
        Collections.shuffle(unknown);
        // The bound holds per delegation, not per question: repeated questions do not look up more names.
        int allowed = MAX_GLUELESS - d.gluelessLookups().get();
        if (allowed <= 0) {
            throw new ResolutionFailure(
                    EDE_NO_REACHABLE_AUTHORITY,
                    "no address for the name servers of " + d.zone() + " (" + MAX_GLUELESS + " looked up)");
        }
        List<Name> todo = unknown.subList(0, Math.min(allowed, unknown.size()));
        ExecutorCompletionService<List<InetAddress>> done = new ExecutorCompletionService<>(threads);
        List<Future<List<InetAddress>>> running = new ArrayList<>();
        Work nested = work.nested();
        for (Name ns : todo) {
            running.add(done.submit(() -> addressOf(ns, nested)));
        }
        try {
            for (int i = 0; i < running.size(); i++) {
                Future<List<InetAddress>> f = done.poll(Math.max(1, work.remainingMillis()), TimeUnit.MILLISECONDS);
                if (f == null) {
                    break;
                }
                List<InetAddress> found = resultOf(f);
                if (!found.isEmpty()) {
                    d.gluelessLookups().set(0);
                    return found;
                }
            }
            d.gluelessLookups().addAndGet(todo.size()); // none resolved: counts against the delegation
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            running.forEach(f -> f.cancel(true));
        }
        return out;
    }

    private static List<InetAddress> resultOf(Future<List<InetAddress>> f) throws InterruptedException {
        try {
            return f.get();
        } catch (ExecutionException e) {
            return List.of();
        }
    }

    /** A name server's IPv4 addresses, else its IPv6 ones; remembered for their TTL. */
    private List<InetAddress> addressOf(Name ns, Work work) {
        long now = clockMillis.getAsLong();
        Addresses known = addresses.get(ns);
        if (known != null && known.expiresMillis() > now) {
            return known.list();
        }
        List<InetAddress> found = new ArrayList<>();
        long ttl = MAX_INFRA_TTL_SECONDS;
        for (int type : new int[] {Type.A, Type.AAAA}) {
            try {
                Message m = resolveChain(ns, type, work);
                for (Record rec : m.getSection(Section.ANSWER)) {
                    if (rec instanceof ARecord a) {
                        found.add(a.getAddress());
                        ttl = Math.min(ttl, rec.getTTL());
                    } else if (rec instanceof AAAARecord a) {
                        found.add(a.getAddress());
                        ttl = Math.min(ttl, rec.getTTL());
                    }
                }
            } catch (ResolutionFailure e) {
                log.debug("address of name server {}: {}", ns, e.getMessage());
            }
            if (!found.isEmpty()) {
                break;
            }
        }
        // Unresolvable names are remembered briefly, so a delegation to them is not retried per query.
        addresses.put(
                ns, new Addresses(List.copyOf(found), now + (found.isEmpty() ? 30_000 : Math.max(5, ttl) * 1000)));
        return found;
    }

    // The rest of dnsjava's Resolver interface: settings of a stub resolver, which this is not.

    @Override
    public void setPort(int port) {}

    @Override
    public void setTCP(boolean flag) {}

    @Override
    public void setIgnoreTruncation(boolean flag) {}

    @Override
    public void setEDNS(int version, int payloadSize, int flags, List<EDNSOption> options) {}

    @Override
    public void setTSIGKey(TSIG key) {}

    @Override
    public void setTimeout(Duration timeout) {}

    @Override
    public Duration getTimeout() {
        return settings.maxTime();
    }
}
