vcl 4.1;
# The shared cache in front of gunicorn (docker-compose.yml's `cache`, bench/run, and
# tests/cache/test_varnish.py run this file). It answers anonymous reads from memory and
# stores only what the site marked `public` (apps/core/cacheheaders.py). A catalogue answer
# (one carrying X-Catalogue-Generation) is kept until the site bans it: every write that
# can change a page, feed or API answer sends BAN once it commits, and again half a second
# later (apps/core/sharedcache.py), so an approval, edit or retraction is on every answer
# within a second, and pages that take long to render are rendered once per change instead
# of once per second. The lifetime below only bounds a ban that never arrived.

backend default {
    .host = "web";
    .port = "8000";
    .first_byte_timeout = 60s;
}

# Who may send BAN: the site's own processes, on this host or on the private network a
# container runtime gives them (never a request relayed by a proxy, see vcl_recv).
acl banners {
    "localhost";
    "127.0.0.0"/8;
    "::1";
    "10.0.0.0"/8;
    "172.16.0.0"/12;
    "192.168.0.0"/16;
}

sub vcl_recv {
    if (req.method == "BAN") {
        # Varnish has appended the peer to X-Forwarded-For: a second entry means a proxy
        # (the TLS one in production) relayed someone else's request.
        if (client.ip !~ banners || req.http.X-Forwarded-For ~ ",") {
            return (synth(403, "Forbidden"));
        }
        # Everything the site stored at another catalogue generation than the one given
        # (the header is absent on anything else, such as static files).
        if (req.http.X-Catalogue-Generation ~ "^[0-9]+$") {
            ban("obj.http.X-Catalogue-Generation ~ . && obj.http.X-Catalogue-Generation != "
                + req.http.X-Catalogue-Generation);
        } else {
            ban("obj.http.X-Catalogue-Generation ~ .");
        }
        return (synth(200, "Banned"));
    }
    # Reads only, and only from people who do not say who they are: a session cookie, a CSRF
    # cookie or a token always goes to the site.
    if (req.method != "GET" && req.method != "HEAD") {
        return (pass);
    }
    if (req.http.Authorization || req.http.Cookie) {
        return (pass);
    }
    return (hash);
}

sub vcl_hash {
    # Plain-HTTP and HTTPS requests get different answers (the redirect to HTTPS), and the
    # TLS proxy says which one this is. The built-in hash (URL and Host) follows.
    hash_data(req.http.X-Forwarded-Proto);
}

sub vcl_backend_response {
    if (bereq.uncacheable) {
        return (deliver);
    }
    if (beresp.http.Set-Cookie
        || beresp.http.Cache-Control !~ "(?i)(^|,)\s*public\s*(,|$)"
        || beresp.http.Cache-Control ~ "(?i)private|no-store|no-cache"
        || beresp.http.Vary == "*") {
        if (beresp.http.X-Catalogue-Generation == "moved") {
            # Rendered while a write committed, so perhaps from before it: not stored, and
            # no marker either, so the next readers wait for one fresh render instead of
            # all going to the site at once.
            set beresp.ttl = 0s;
            set beresp.uncacheable = true;
            return (deliver);
        }
        # Never stored. The short marker sends the next requests straight to the site
        # instead of queueing them behind one another; a public answer replaces it.
        set beresp.ttl = 10s;
        set beresp.uncacheable = true;
        return (deliver);
    }
    if (beresp.http.X-Catalogue-Generation ~ "^[0-9]+$") {
        # Catalogue content, kept until a ban (other public answers keep the lifetime
        # their Cache-Control gives, as static files do). Past its lifetime, an answer no
        # ban has removed is still current: it is served while one fetch renews it.
        set beresp.ttl = 10m;
        set beresp.grace = 1m;
        set beresp.keep = 0s;
    }
    return (deliver);
}

sub vcl_deliver {
    if (obj.uncacheable) {
        set resp.http.X-Cache = "pass";
    } elsif (obj.hits > 0) {
        set resp.http.X-Cache = "hit";
    } else {
        set resp.http.X-Cache = "miss";
    }
}
