"""The store's schema as numbered migrations; ``schema_version`` records what ran.

Migrations are frozen: each is SQL text that uses nothing from today's code, so a store written by
any older tiescale upgrades to the same schema. A value that needs today's code (the text features)
is computed by the layer that owns it, after the migration added the empty column.
"""
from __future__ import annotations

#: The score tables' dimension columns as migration 2 created them (a frozen, historical copy: the
#: code's one list is tiescale.scoring.dimensions.DIMENSION_COLUMNS).
_DIMENSION_COLUMNS_V2 = """intensity DOUBLE, weight_in DOUBLE, weight_out DOUBLE, turns DOUBLE, two_way_days BIGINT,
            touchpoints_in BIGINT, touchpoints_out BIGINT, dms BIGINT, words BIGINT, warm DOUBLE,
            active_days BIGINT, regularity DOUBLE, started_by_them BIGINT,
            first_contact TIMESTAMP, last_contact TIMESTAMP, days_since DOUBLE, duration_days DOUBLE,
            pts_intensity DOUBLE, pts_reciprocity DOUBLE, pts_recency DOUBLE, pts_regularity DOUBLE,
            pts_duration DOUBLE, pts_intimacy DOUBLE, pts_warmth DOUBLE"""

#: The raw dimensions of a history row as migration 16 created them (frozen, like the list above).
_RAW_COLUMNS = ("intensity, weight_in, weight_out, turns, two_way_days, touchpoints_in, touchpoints_out, "
                "dms, words, warm, active_days, regularity, started_by_them, first_contact, last_contact")

#: (version, description, SQL)
MIGRATIONS: list[tuple[int, str, str]] = [
    (
        1,
        "accounts, people, identities, interactions, posts, follower snapshots, import log",
        """
        CREATE SEQUENCE person_seq START 1;
        CREATE SEQUENCE import_seq START 1;
        CREATE SEQUENCE merge_seq START 1;

        -- The brand's own profiles.
        CREATE TABLE accounts (
            platform     VARCHAR NOT NULL,
            handle       VARCHAR NOT NULL,
            display_name VARCHAR,
            account_id   VARCHAR,
            first_seen   TIMESTAMPTZ NOT NULL DEFAULT now(),
            PRIMARY KEY (platform, handle)
        );

        -- A human being, behind one or more identities.
        CREATE TABLE people (
            person_id    BIGINT PRIMARY KEY,
            label        VARCHAR NOT NULL,      -- shown as `person` in every listing
            display_name VARCHAR,
            merged_into  BIGINT,                -- set while this person is merged into another
            created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
        );

        -- A handle on one platform. Interactions point at identities, never at people,
        -- so merging and unmerging people never rewrites an interaction.
        CREATE TABLE identities (
            platform     VARCHAR NOT NULL,
            handle       VARCHAR NOT NULL,
            person_id    BIGINT NOT NULL,
            display_name VARCHAR,
            email        VARCHAR,
            url          VARCHAR,
            username     VARCHAR,               -- the @name, when handle is a numeric id
            first_seen   TIMESTAMPTZ NOT NULL DEFAULT now(),
            PRIMARY KEY (platform, handle)
        );

        -- Every touchpoint. dedupe_key is the platform id, else 'h:' + md5 of all fields;
        -- (platform, person, dedupe_key) is unique.
        CREATE TABLE interactions (
            platform    VARCHAR NOT NULL,
            account     VARCHAR NOT NULL,
            person      VARCHAR NOT NULL,
            ts          TIMESTAMPTZ,            -- NULL: the export gives no time (X likes)
            direction   VARCHAR NOT NULL,       -- in: person -> account; out: account -> person
            kind        VARCHAR NOT NULL,
            item_id     VARCHAR,
            text        VARCHAR,
            in_reply_to VARCHAR,
            thread      VARCHAR,
            dedupe_key  VARCHAR NOT NULL,
            import_id   BIGINT NOT NULL
        );

        -- What the own account published.
        CREATE TABLE posts (
            platform    VARCHAR NOT NULL,
            account     VARCHAR NOT NULL,
            post_id     VARCHAR NOT NULL,
            ts          TIMESTAMPTZ,
            kind        VARCHAR NOT NULL,
            text        VARCHAR,
            in_reply_to VARCHAR,
            thread      VARCHAR,
            url         VARCHAR,
            likes       BIGINT,
            reposts     BIGINT,
            replies     BIGINT,
            import_id   BIGINT NOT NULL
        );

        -- Follower / following lists as taken at a moment.
        CREATE TABLE follower_snapshots (
            platform    VARCHAR NOT NULL,
            account     VARCHAR NOT NULL,
            relation    VARCHAR NOT NULL,       -- follower | following
            snapshot_at TIMESTAMPTZ NOT NULL,
            person      VARCHAR NOT NULL,
            import_id   BIGINT NOT NULL
        );

        -- One row per file imported.
        CREATE TABLE imports (
            import_id        BIGINT PRIMARY KEY,
            path             VARCHAR NOT NULL,
            content_hash     VARCHAR NOT NULL,
            format           VARCHAR NOT NULL,
            started_at       TIMESTAMPTZ NOT NULL,
            finished_at      TIMESTAMPTZ,
            status           VARCHAR NOT NULL,  -- ok | partial | unchanged
            rows_read        BIGINT DEFAULT 0,
            new_interactions BIGINT DEFAULT 0,
            duplicates       BIGINT DEFAULT 0,
            rejected         BIGINT DEFAULT 0,
            new_people       BIGINT DEFAULT 0,
            updated_people   BIGINT DEFAULT 0,
            new_posts        BIGINT DEFAULT 0,
            first_ts         TIMESTAMPTZ,
            last_ts          TIMESTAMPTZ
        );

        CREATE TABLE import_rejects (
            import_id BIGINT NOT NULL,
            file      VARCHAR NOT NULL,
            record    VARCHAR NOT NULL,
            reason    VARCHAR NOT NULL
        );

        -- People forgotten on request: only a hash of the handle, so re-imports skip them.
        CREATE TABLE forgotten (
            platform     VARCHAR NOT NULL,
            handle_hash  VARCHAR NOT NULL,
            forgotten_at TIMESTAMPTZ NOT NULL DEFAULT now()
        );

        -- Applied merges, so that each can be undone exactly.
        CREATE TABLE merges (
            merge_id    BIGINT PRIMARY KEY,
            into_person BIGINT NOT NULL,
            from_person BIGINT NOT NULL,
            from_label  VARCHAR NOT NULL,
            identities  VARCHAR NOT NULL,       -- JSON list of [platform, handle] moved
            created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
            undone_at   TIMESTAMPTZ
        );
        """,
    ),
]

MIGRATIONS.append((
    2,
    "relationship scores: dated snapshots per connection and per person",
    f"""
        -- One row per `tiescale score` run that wrote a snapshot.
        CREATE TABLE score_runs (
            as_of        TIMESTAMP NOT NULL,     -- UTC; only touchpoints before it count
            engine       VARCHAR NOT NULL,
            scale        VARCHAR NOT NULL,       -- the configuration's fingerprint
            watermark    BIGINT NOT NULL,        -- the last import included
            connections  BIGINT NOT NULL,
            seconds      DOUBLE,
            computed_at  TIMESTAMPTZ NOT NULL DEFAULT now()
        );
        -- (account, platform, person) connections, one snapshot per as_of.
        CREATE TABLE connection_scores (
            as_of TIMESTAMP NOT NULL, account VARCHAR NOT NULL, platform VARCHAR NOT NULL,
            person VARCHAR NOT NULL, score DOUBLE NOT NULL, tier VARCHAR NOT NULL,
            {_DIMENSION_COLUMNS_V2}
        );
        -- Connections whose touchpoints were deleted (re-derived follows): recomputed next time.
        CREATE TABLE scoring_dirty (account VARCHAR, platform VARCHAR, person VARCHAR);
        -- People across every account and platform of the brand.
        CREATE TABLE person_scores (
            as_of TIMESTAMP NOT NULL, person_id BIGINT NOT NULL, score DOUBLE NOT NULL, tier VARCHAR NOT NULL,
            {_DIMENSION_COLUMNS_V2}
        );
    """,
))

MIGRATIONS.append((
    7,
    "the strongest connections of each account per snapshot, for instant top-N lists",
    f"""
        -- Copies of the top rows of connection_scores per (as_of, account), account_rank 1 = strongest.
        CREATE TABLE connection_top (
            as_of TIMESTAMP NOT NULL, account VARCHAR NOT NULL, account_rank BIGINT NOT NULL,
            account_total BIGINT NOT NULL,          -- the account's connections in the snapshot
            platform VARCHAR NOT NULL, person VARCHAR NOT NULL, score DOUBLE NOT NULL, tier VARCHAR NOT NULL,
            {_DIMENSION_COLUMNS_V2}
        );
    """,
))

MIGRATIONS.append((
    3,
    "nurture: actions (done / snooze history per person), the answer index of inbound messages",
    """
        CREATE SEQUENCE nurture_action_seq START 1;
        -- What the user did about a person: done (with a note) or snooze (until a date). Kept as history.
        CREATE TABLE nurture_actions (
            action_id  BIGINT PRIMARY KEY,
            person_id  BIGINT NOT NULL,
            action     VARCHAR NOT NULL,        -- done | snooze
            note       VARCHAR,
            created_at TIMESTAMPTZ NOT NULL,
            until      TIMESTAMPTZ              -- snooze: hidden until then
        );
        -- Every inbound reply, mention, comment or DM, and when (and how) it was first answered.
        -- Derived from interactions (rebuilt from them at any time); holds message text: person data.
        CREATE TABLE nurture_messages (
            platform VARCHAR NOT NULL, account VARCHAR NOT NULL, person VARCHAR NOT NULL, person_id BIGINT,
            ts TIMESTAMPTZ NOT NULL, kind VARCHAR NOT NULL, item_id VARCHAR, thread VARCHAR, text VARCHAR,
            answered_at TIMESTAMPTZ, answer_platform VARCHAR, answer_kind VARCHAR, answer_how VARCHAR,
            need VARCHAR,                        -- question | complaint | NULL (from the text's wording)
            import_id BIGINT NOT NULL
        );
        -- Per person: last contact each way and their usual rhythm (median gap between active days).
        CREATE TABLE nurture_people (
            person_id BIGINT PRIMARY KEY, last_in TIMESTAMPTZ, last_out TIMESTAMPTZ, last_contact TIMESTAMPTZ,
            active_days BIGINT, median_gap_days DOUBLE
        );
        -- What the index reflects: the last import, and the interaction count it saw (a change = rebuild).
        CREATE TABLE nurture_index_state (
            watermark BIGINT NOT NULL, interactions BIGINT NOT NULL, merges VARCHAR NOT NULL,
            refreshed_at TIMESTAMPTZ NOT NULL,
            total BIGINT NOT NULL,               -- count(*) of interactions: a cheap check for deletions
            newest_ts TIMESTAMPTZ                -- the newest touchpoint (the queue's "now" is the day after)
        );
        -- The queue's candidates for one state of the data (cache_key: imports, merges, date, account,
        -- settings), so that reading the queue touches only these small tables. Rebuilt when the key
        -- changes; done / snooze are applied when reading. Person data (message text, names).
        CREATE TABLE nurture_queue_cache (cache_key VARCHAR NOT NULL, built_at TIMESTAMPTZ NOT NULL);
        CREATE TABLE nurture_queue_messages (
            cache_key VARCHAR NOT NULL, person_id BIGINT NOT NULL, platform VARCHAR, account VARCHAR,
            person VARCHAR, ts TIMESTAMPTZ, kind VARCHAR, text VARCHAR, need VARCHAR
        );
        CREATE TABLE nurture_queue_people (
            cache_key VARCHAR NOT NULL, person_id BIGINT NOT NULL, reason VARCHAR, priority DOUBLE,
            evidence VARCHAR, action VARCHAR, score DOUBLE, tier VARCHAR, platform VARCHAR, account VARCHAR,
            person VARCHAR, name VARCHAR
        );
        -- Per person with messages waiting (before done / snooze): the most urgent one, the priority, the name.
        CREATE TABLE nurture_queue_waiting (
            cache_key VARCHAR NOT NULL, person_id BIGINT NOT NULL, waiting_since TIMESTAMPTZ, n BIGINT,
            platform VARCHAR, account VARCHAR, person VARCHAR, kind VARCHAR, text VARCHAR, ts TIMESTAMPTZ,
            need VARCHAR, priority DOUBLE, name VARCHAR, score DOUBLE, tier VARCHAR
        );
    """,
))

MIGRATIONS.append((
    8,
    "names in the top table, so a top-N list needs no join",
    """
        ALTER TABLE connection_top ADD COLUMN person_id BIGINT;      -- as they were when scored
        ALTER TABLE connection_top ADD COLUMN name VARCHAR;
        ALTER TABLE connection_top ADD COLUMN display_name VARCHAR;
    """,
))

MIGRATIONS.append((
    9,
    "skipped rows: read fine, left out on purpose (the export does not say who they involve)",
    """
        ALTER TABLE imports ADD COLUMN skipped BIGINT DEFAULT 0;
        CREATE TABLE import_skipped (
            import_id BIGINT NOT NULL,
            file      VARCHAR NOT NULL,
            record    VARCHAR NOT NULL,
            reason    VARCHAR NOT NULL
        );
    """,
))

# Numbers by capability: 3 nurture (queue actions), 4 revenue (conversions, goals), 5 live sync (cursors).
# Each capability appends its own entry below its number; the list is run in version order.
MIGRATIONS.append((
    5,
    "live sync: cursors per account and stream, sync log",
    """
        -- Where each connected account's stream (notifications, posts, chat:<convo>, ...) stands.
        -- high_water: everything at or before it is in the store. A walk that was interrupted
        -- keeps walk_top (its newest item) and walk_cursor (the API cursor of its next page).
        CREATE TABLE sync_cursors (
            platform    VARCHAR NOT NULL,
            account     VARCHAR NOT NULL,
            stream      VARCHAR NOT NULL,
            high_water  VARCHAR,
            walk_top    VARCHAR,
            walk_cursor VARCHAR,
            updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
            PRIMARY KEY (platform, account, stream)
        );
        CREATE SEQUENCE sync_seq START 1;
        -- One row per stream per sync run: what came in, and why it stopped when it failed.
        CREATE TABLE sync_log (
            sync_id     BIGINT NOT NULL,
            platform    VARCHAR NOT NULL,
            account     VARCHAR NOT NULL,
            stream      VARCHAR NOT NULL,
            started_at  TIMESTAMPTZ NOT NULL,
            finished_at TIMESTAMPTZ,
            status      VARCHAR NOT NULL,      -- ok | partial | failed | skipped
            pages       BIGINT DEFAULT 0,
            new_items   BIGINT DEFAULT 0,
            duplicates  BIGINT DEFAULT 0,
            rejected    BIGINT DEFAULT 0,
            retries     BIGINT DEFAULT 0,
            message     VARCHAR                -- never a secret: redacted before it is written
        );
    """,
))

MIGRATIONS.append((
    4,
    "revenue: conversions (orders), coupon-to-person mappings, goals",
    """
        -- Orders from a shop or CRM. Holds person data (e-mail, handles): forget_person clears it.
        CREATE TABLE conversions (
            order_id     VARCHAR NOT NULL,       -- the dedupe key
            ts           TIMESTAMPTZ NOT NULL,
            value        DOUBLE NOT NULL,
            currency     VARCHAR NOT NULL,
            email        VARCHAR,                -- lower-cased
            platform     VARCHAR,
            handle       VARCHAR,
            person_ref   BIGINT,                 -- a tiescale person id given by the file
            coupon       VARCHAR,                -- upper-cased
            utm_source   VARCHAR,                -- lower-cased
            utm_campaign VARCHAR,
            click_id     VARCHAR,
            import_id    BIGINT NOT NULL
        );
        -- Coupon code -> person (by person id, platform + handle, or e-mail). Person data too.
        CREATE TABLE coupon_mappings (
            coupon       VARCHAR NOT NULL,       -- upper-cased; the last import wins
            person_ref   BIGINT,
            platform     VARCHAR,
            handle       VARCHAR,
            email        VARCHAR,
            import_id    BIGINT NOT NULL
        );
        -- Targets the user sets: `tiescale goal meaningful 500 --by 2027-06-30`.
        CREATE TABLE goals (
            metric       VARCHAR NOT NULL,       -- meaningful
            account      VARCHAR NOT NULL DEFAULT '',  -- '' = every account
            target       DOUBLE NOT NULL,
            by_date      DATE NOT NULL,
            min_score    DOUBLE NOT NULL,
            baseline     DOUBLE,                 -- the value when the goal was set
            baseline_at  TIMESTAMP,
            created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
        );
    """,
))

MIGRATIONS.append((
    6,
    "content balance: cached classifier verdicts of the brand's own texts",
    """
        -- One verdict per distinct text and classifier model (keyed by a hash of the text, so a
        -- post or message classified once is not classified again; no text is stored here).
        CREATE TABLE content_labels (
            text_hash     VARCHAR NOT NULL,
            model         VARCHAR NOT NULL,
            label         VARCHAR NOT NULL,
            confidence    DOUBLE NOT NULL,
            p_promotional DOUBLE NOT NULL,
            cues          VARCHAR NOT NULL,      -- JSON list of short phrases
            PRIMARY KEY (text_hash, model)
        );
    """,
))


# Migrations 10 and 11 add the columns and the version table only: the values depend on today's
# expressions (tiescale.text.features), so store.text_features.refresh_text_features computes them
# (Store.migrate, right after migration 10 ran on a store with touchpoints; else the first import).
#: The migration that adds interactions.words and warmth, empty (Store.migrate has them computed).
TEXT_FEATURE_COLUMNS_ADDED = 10
MIGRATIONS.append((
    TEXT_FEATURE_COLUMNS_ADDED,
    "interactions: words and warmth of each touchpoint's text, computed once (scoring never rereads texts)",
    """
        ALTER TABLE interactions ADD COLUMN IF NOT EXISTS words INTEGER;
        ALTER TABLE interactions ADD COLUMN IF NOT EXISTS warmth DOUBLE;
    """,
))
MIGRATIONS.append((
    11,
    "text_features: the version of the expressions behind interactions.words and warmth",
    """
        -- Which expressions computed interactions.words / warmth; empty: none yet (the refresh fills both).
        CREATE TABLE text_features (version VARCHAR NOT NULL);
    """,
))
MIGRATIONS.append((
    12,
    "connections: one integer id per (account, platform, person), on every interaction and score row",
    """
        CREATE SEQUENCE connection_seq START 1;
        -- Every (account, platform, person) that has had an interaction. Scoring groups touchpoints
        -- by the integer id (cheaper than three strings) and names connections through this table.
        -- Imports add the new ones; forgetting a person removes theirs.
        CREATE TABLE connections (
            connection_id BIGINT NOT NULL,
            account       VARCHAR NOT NULL,
            platform      VARCHAR NOT NULL,
            person        VARCHAR NOT NULL
        );
        -- also those only scores name (their touchpoints deleted since): they get an id, and their
        -- rows are recomputed by the next score (scoring_dirty)
        INSERT INTO connections (connection_id, account, platform, person)
        SELECT nextval('connection_seq'), account, platform, person
        FROM (SELECT account, platform, person FROM interactions
              UNION SELECT account, platform, person FROM connection_scores
              ORDER BY account, platform, person);
        INSERT INTO scoring_dirty (account, platform, person)
        SELECT account, platform, person FROM connection_scores
        EXCEPT SELECT account, platform, person FROM interactions;
        ALTER TABLE interactions ADD COLUMN connection_id BIGINT;
        UPDATE interactions SET connection_id = c.connection_id FROM connections c
        WHERE c.account = interactions.account AND c.platform = interactions.platform
          AND c.person = interactions.person;
        ALTER TABLE connection_scores ADD COLUMN connection_id BIGINT;
        UPDATE connection_scores SET connection_id = c.connection_id FROM connections c
        WHERE c.account = connection_scores.account AND c.platform = connection_scores.platform
          AND c.person = connection_scores.person;
    """,
))
MIGRATIONS.append((
    13,
    "scoring_dirty: when each connection was marked, so every later score from an older snapshot sees it",
    """
        ALTER TABLE scoring_dirty ADD COLUMN marked_at TIMESTAMPTZ DEFAULT now();
    """,
))
MIGRATIONS.append((
    14,
    "touchpoints view (interactions with person_id); tables renamed: text_features_version, answer_*",
    """
        -- Every touchpoint with the person behind its identity: the one spelling of the join of
        -- interactions to identities (inner: a touchpoint's identity always exists).
        -- OR REPLACE / IF EXISTS: running it again (a store that forgot it ran) changes nothing.
        CREATE OR REPLACE VIEW touchpoints AS
        SELECT i.*, d.person_id
        FROM interactions i JOIN identities d ON d.platform = i.platform AND d.handle = i.person;
        -- It holds only the version of the expressions behind interactions.words and warmth.
        ALTER TABLE IF EXISTS text_features RENAME TO text_features_version;
        -- The answer index of insights/threads.py (inbound messages, and when they were answered).
        ALTER TABLE IF EXISTS nurture_messages RENAME TO answer_messages;
        ALTER TABLE IF EXISTS nurture_people RENAME TO answer_people;
        ALTER TABLE IF EXISTS nurture_index_state RENAME TO answer_index_state;
    """,
))
MIGRATIONS.append((
    15,
    "interactions.person renamed handle (it holds the identity's handle; the human is person_id)",
    """
        -- The column names an identity (with platform), not a person: the touchpoints view's
        -- person_id is the human. No index depends on the column; the view is bound by name, so it
        -- is re-created over the new one (its columns: the same, with handle for person).
        ALTER TABLE interactions RENAME COLUMN person TO handle;
        CREATE OR REPLACE VIEW touchpoints AS
        SELECT i.*, d.person_id
        FROM interactions i JOIN identities d ON d.platform = i.platform AND d.handle = i.handle;
    """,
))
MIGRATIONS.append((
    16,
    "score history as change rows: a state is stored when it changes; score tables keep the newest date",
    """
        -- Running it again (a store that forgot it ran) rebuilds the history from the score tables.
        -- How many people each run scored (the score tables now hold the newest date only).
        ALTER TABLE score_runs ADD COLUMN IF NOT EXISTS people BIGINT;
        UPDATE score_runs SET people = (SELECT count(*) FROM person_scores p WHERE p.as_of = score_runs.as_of)
        WHERE people IS NULL;
        -- A connection's (person's) raw dimensions from the date they took effect, the decayed ones
        -- referenced to that date; removed: no touchpoints left from then on. The score on any later
        -- date is a pure function of the latest row and the date (tiescale.scoring.history).
        DROP TABLE IF EXISTS connection_history;
        CREATE TABLE connection_history (
            connection_id BIGINT NOT NULL, as_of TIMESTAMP NOT NULL,
            intensity DOUBLE, weight_in DOUBLE, weight_out DOUBLE, turns DOUBLE, two_way_days BIGINT,
            touchpoints_in BIGINT, touchpoints_out BIGINT, dms BIGINT, words BIGINT, warm DOUBLE,
            active_days BIGINT, regularity DOUBLE, started_by_them BIGINT,
            first_contact TIMESTAMP, last_contact TIMESTAMP, removed BOOLEAN NOT NULL DEFAULT false
        );
        DROP TABLE IF EXISTS person_history;
        CREATE TABLE person_history (
            person_id BIGINT NOT NULL, as_of TIMESTAMP NOT NULL,
            intensity DOUBLE, weight_in DOUBLE, weight_out DOUBLE, turns DOUBLE, two_way_days BIGINT,
            touchpoints_in BIGINT, touchpoints_out BIGINT, dms BIGINT, words BIGINT, warm DOUBLE,
            active_days BIGINT, regularity DOUBLE, started_by_them BIGINT,
            first_contact TIMESTAMP, last_contact TIMESTAMP, removed BOOLEAN NOT NULL DEFAULT false
        );
        -- Every stored snapshot becomes change rows: a row is kept when the key was not in the run
        -- just before, or its undecayed dimensions differ from its row there (same touchpoints: the
        -- decayed ones are that row rolled forward); a tombstone where a key leaves the next run.
        INSERT INTO connection_history (connection_id, as_of, intensity, weight_in, weight_out, turns, two_way_days,
            touchpoints_in, touchpoints_out, dms, words, warm, active_days, regularity, started_by_them,
            first_contact, last_contact, removed)
        SELECT * FROM (
        WITH runs AS (SELECT as_of, lag(as_of) OVER (ORDER BY as_of) AS run_before,
                             lead(as_of) OVER (ORDER BY as_of) AS run_after
                      FROM (SELECT DISTINCT as_of FROM score_runs)),
        keyed AS (
            SELECT s.*, r.run_before, r.run_after,
                   lag(s.as_of) OVER w AS row_before, lead(s.as_of) OVER w AS row_after,
                   lag([two_way_days, touchpoints_in, touchpoints_out, dms, words, active_days, started_by_them,
                        epoch_us(first_contact), epoch_us(last_contact)]) OVER w AS counts_before,
                   lag(warm) OVER w AS warm_before
            FROM connection_scores s JOIN runs r USING (as_of) WHERE s.connection_id IS NOT NULL
            WINDOW w AS (PARTITION BY s.connection_id ORDER BY s.as_of))
        SELECT connection_id, as_of, intensity, weight_in, weight_out, turns, two_way_days, touchpoints_in,
               touchpoints_out, dms, words, warm, active_days, regularity, started_by_them, first_contact,
               last_contact, false
        FROM keyed
        WHERE row_before IS DISTINCT FROM run_before OR warm_before IS DISTINCT FROM warm
           OR counts_before IS DISTINCT FROM [two_way_days, touchpoints_in, touchpoints_out, dms, words, active_days,
                                              started_by_them, epoch_us(first_contact), epoch_us(last_contact)]
        UNION ALL
        SELECT connection_id, run_after, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
               NULL, NULL, NULL, true
        FROM keyed WHERE run_after IS NOT NULL AND row_after IS DISTINCT FROM run_after);
        INSERT INTO person_history (person_id, as_of, intensity, weight_in, weight_out, turns, two_way_days,
            touchpoints_in, touchpoints_out, dms, words, warm, active_days, regularity, started_by_them,
            first_contact, last_contact, removed)
        SELECT * FROM (
        WITH runs AS (SELECT as_of, lag(as_of) OVER (ORDER BY as_of) AS run_before,
                             lead(as_of) OVER (ORDER BY as_of) AS run_after
                      FROM (SELECT DISTINCT as_of FROM score_runs)),
        keyed AS (
            SELECT s.*, r.run_before, r.run_after,
                   lag(s.as_of) OVER w AS row_before, lead(s.as_of) OVER w AS row_after,
                   lag([two_way_days, touchpoints_in, touchpoints_out, dms, words, active_days, started_by_them,
                        epoch_us(first_contact), epoch_us(last_contact)]) OVER w AS counts_before,
                   lag(warm) OVER w AS warm_before
            FROM person_scores s JOIN runs r USING (as_of)
            WINDOW w AS (PARTITION BY s.person_id ORDER BY s.as_of))
        SELECT person_id, as_of, intensity, weight_in, weight_out, turns, two_way_days, touchpoints_in,
               touchpoints_out, dms, words, warm, active_days, regularity, started_by_them, first_contact,
               last_contact, false
        FROM keyed
        WHERE row_before IS DISTINCT FROM run_before OR warm_before IS DISTINCT FROM warm
           OR counts_before IS DISTINCT FROM [two_way_days, touchpoints_in, touchpoints_out, dms, words, active_days,
                                              started_by_them, epoch_us(first_contact), epoch_us(last_contact)]
        UNION ALL
        SELECT person_id, run_after, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
               NULL, NULL, NULL, true
        FROM keyed WHERE run_after IS NOT NULL AND row_after IS DISTINCT FROM run_after);
        -- The score tables keep the newest scored date only (the listings read it as before).
        DELETE FROM connection_scores WHERE as_of < (SELECT max(as_of) FROM connection_scores);
        DELETE FROM person_scores WHERE as_of < (SELECT max(as_of) FROM person_scores);
        DELETE FROM connection_top WHERE as_of < (SELECT max(as_of) FROM connection_top);
    """,
))
MIGRATIONS.append((
    17,
    "imports.account: the --account an import was read with (the same file read for another account is new)",
    """
        -- A chat or e-mail export is read from one member's side (--account); the same file read for
        -- another member gives other records, so "already imported" compares the account too.
        ALTER TABLE imports ADD COLUMN IF NOT EXISTS account VARCHAR;
    """,
))
MIGRATIONS.append((
    19,
    "the dashboard's saved views and settings; undo of a queue action (nurture_actions.undoes)",
    """
        -- A saved view: a named filter set of one dashboard page (its query string), opened by a URL.
        CREATE TABLE IF NOT EXISTS saved_views (
            name       VARCHAR PRIMARY KEY,
            page       VARCHAR NOT NULL,          -- people | queue
            query      VARCHAR NOT NULL,          -- the page's query string, without the leading '?'
            created_at TIMESTAMPTZ NOT NULL DEFAULT now()
        );
        -- Settings changed from the dashboard (the daily queue size): one value per key.
        CREATE TABLE IF NOT EXISTS dashboard_settings (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL);
        -- An 'undo' action names the action it takes back; the queue ignores undone actions. Undo adds
        -- a row (never deletes one), so the count of actions, part of the pages' cache key, only grows.
        ALTER TABLE nurture_actions ADD COLUMN IF NOT EXISTS undoes BIGINT;
    """,
))
MIGRATIONS.append((
    18,
    "engage: answers sent from tiescale (an idempotency key stored before sending), saved replies",
    """
        -- One row per answer or like sent from tiescale. The row (status 'pending') is written before
        -- the platform is asked, so a retry finds it and checks the platform instead of posting twice;
        -- 'sent' lands in the same transaction as the outbound touchpoint. Person data (text, handle).
        CREATE TABLE IF NOT EXISTS engage_sends (
            send_key   VARCHAR PRIMARY KEY,     -- hash of platform, account, target, kind and text
            platform   VARCHAR NOT NULL,
            account    VARCHAR NOT NULL,
            person     VARCHAR NOT NULL,        -- the identity's handle (with platform)
            person_id  BIGINT,
            kind       VARCHAR NOT NULL,        -- reply | dm | like
            target     VARCHAR,                 -- the platform id of what is answered or liked
            text       VARCHAR,
            record_key VARCHAR,                 -- the key the platform is given (Bluesky rkey, Idempotency-Key)
            status     VARCHAR NOT NULL,        -- pending | sent | failed
            sent_id    VARCHAR,                 -- the platform's id of what was posted (the touchpoint's id)
            sent_url   VARCHAR,
            error      VARCHAR,                 -- one line, never a secret
            created_at TIMESTAMPTZ NOT NULL,
            sent_at    TIMESTAMPTZ
        );
        -- Saved replies: named texts with {name}-style placeholders, filled when used.
        CREATE TABLE IF NOT EXISTS snippets (
            snippet    VARCHAR PRIMARY KEY,
            body       VARCHAR NOT NULL,
            created_at TIMESTAMPTZ NOT NULL DEFAULT now()
        );
    """,
))
MIGRATIONS.append((
    20,
    "revenue_person_time: the person-time by tier a refresh computes for the default revenue window",
    """
        -- A few numbers per tier (no person column): days at each tier, orders placed on them, sums for
        -- the intervals, as JSON; ``state`` names the store state they were computed from (a reader
        -- recomputes when it differs). insights/revenue_cache.py writes and reads it.
        CREATE TABLE IF NOT EXISTS revenue_person_time (
            params      VARCHAR PRIMARY KEY,       -- window start, end and the meaningful threshold
            state       VARCHAR NOT NULL,
            payload     VARCHAR NOT NULL,
            computed_at TIMESTAMPTZ NOT NULL DEFAULT now()
        );
    """,
))
MIGRATIONS.append((
    22,
    "answer_people.days (a refresh merges a day, not every day); derived_state (watermarks); text_languages",
    """
        -- The rhythm (active days, the median gap between them) of a person touched by an import was
        -- recomputed from all their touchpoints; with the days kept, the refresh merges the new ones.
        ALTER TABLE answer_people ADD COLUMN IF NOT EXISTS days TIMESTAMPTZ[];
        -- rows written before have no days: the next refresh rebuilds the answer index whole
        DELETE FROM answer_index_state;
        -- the watermark a derived table was last refreshed at, and the version that computed it
        -- (insights/derived_state.py): the content verdicts' refresh reads only newer imports
        CREATE TABLE IF NOT EXISTS derived_state (
            name VARCHAR PRIMARY KEY, watermark BIGINT NOT NULL, version VARCHAR NOT NULL,
            refreshed_at TIMESTAMP);
        -- the language of the people's newest messages (insights/languages.py), by a hash of the text,
        -- filled by the refresh so the content report loads no detector; emptied by forget
        CREATE TABLE IF NOT EXISTS text_languages (text_hash VARCHAR PRIMARY KEY, language VARCHAR NOT NULL);
        -- the brand's outbound messages, one row per message (insights/content.py MESSAGES_SQL), kept
        -- by the refresh from the imports since the last one: the content report counts them in place
        CREATE TABLE IF NOT EXISTS content_message_index (
            platform VARCHAR, account VARCHAR, item_id VARCHAR, ts TIMESTAMPTZ, kind VARCHAR, text VARCHAR,
            url VARCHAR, thread VARCHAR, text_hash VARCHAR);
    """,
))
MIGRATIONS.append((
    23,
    "accounts.username: the own account's @name where its handle is an id (an X archive's account.js)",
    """
        -- An X archive keys the account by number; its account.js names it (username). Shown instead
        -- of the number (insights/links.py). Rows written before stay NULL until the next import.
        ALTER TABLE accounts ADD COLUMN IF NOT EXISTS username VARCHAR;
    """,
))
MIGRATIONS.append((
    24,
    "first_talk_scores: a person's score at the midnight after their first conversation, kept by the refresh",
    """
        -- Revenue's person-time counts the days after a first conversation in the tier of that
        -- midnight; scoring it from the touchpoints costs seconds a refresh at 10M events. It depends
        -- only on the person's touchpoints before it (how many, the newest import among them) and the
        -- scale, which the row names: any change to them is another key (insights/person_time.py).
        CREATE TABLE IF NOT EXISTS first_talk_scores (
            person_id BIGINT NOT NULL, talk TIMESTAMP NOT NULL, scale VARCHAR NOT NULL,
            touchpoints BIGINT NOT NULL, newest_import BIGINT NOT NULL, score DOUBLE NOT NULL);
    """,
))
MIGRATIONS.append((
    25,
    "first_talk_scores keeps the state at that midnight too (the raw dimensions of a score history row)",
    """
        -- Revenue's person-time counts every later day in the tier of that state rolled forward to
        -- the day, as the score history composes (insights/person_time.py). Rows kept before hold
        -- NULL here and are scored again once.
        ALTER TABLE first_talk_scores ADD COLUMN IF NOT EXISTS intensity DOUBLE;
        ALTER TABLE first_talk_scores ADD COLUMN IF NOT EXISTS weight_in DOUBLE;
        ALTER TABLE first_talk_scores ADD COLUMN IF NOT EXISTS weight_out DOUBLE;
        ALTER TABLE first_talk_scores ADD COLUMN IF NOT EXISTS turns DOUBLE;
        ALTER TABLE first_talk_scores ADD COLUMN IF NOT EXISTS two_way_days BIGINT;
        ALTER TABLE first_talk_scores ADD COLUMN IF NOT EXISTS touchpoints_in BIGINT;
        ALTER TABLE first_talk_scores ADD COLUMN IF NOT EXISTS touchpoints_out BIGINT;
        ALTER TABLE first_talk_scores ADD COLUMN IF NOT EXISTS dms BIGINT;
        ALTER TABLE first_talk_scores ADD COLUMN IF NOT EXISTS words BIGINT;
        ALTER TABLE first_talk_scores ADD COLUMN IF NOT EXISTS warm DOUBLE;
        ALTER TABLE first_talk_scores ADD COLUMN IF NOT EXISTS active_days BIGINT;
        ALTER TABLE first_talk_scores ADD COLUMN IF NOT EXISTS regularity DOUBLE;
        ALTER TABLE first_talk_scores ADD COLUMN IF NOT EXISTS started_by_them BIGINT;
        ALTER TABLE first_talk_scores ADD COLUMN IF NOT EXISTS first_contact TIMESTAMP;
        ALTER TABLE first_talk_scores ADD COLUMN IF NOT EXISTS last_contact TIMESTAMP;
    """,
))
MIGRATIONS.append((
    26,
    "score_highs: the people at or above a score on each scored date, kept by the refresh with a stamp",
    """
        -- vanity's people at 7+ on every month start and the queue's former champions (9+) compose
        -- the history at two dozen dates: seconds at a million people. A date's rows depend only on
        -- the history at or before it, which the stamp names (insights/score_highs.py): a date whose
        -- stamp moved is composed again, the others are read.
        CREATE TABLE IF NOT EXISTS score_highs (
            as_of TIMESTAMP NOT NULL, min_score DOUBLE NOT NULL, person_id BIGINT NOT NULL, score DOUBLE NOT NULL);
        CREATE TABLE IF NOT EXISTS score_highs_dates (
            as_of TIMESTAMP NOT NULL, min_score DOUBLE NOT NULL, stamp VARCHAR NOT NULL);
        -- a report computed by the refresh, read back while the store's state (``state``) holds
        CREATE TABLE IF NOT EXISTS report_cache (
            name VARCHAR NOT NULL, state VARCHAR NOT NULL, body VARCHAR NOT NULL, computed_at TIMESTAMP NOT NULL);
    """,
))
MIGRATIONS.append((
    27,
    "revenue_segments: every person's days by tier in the default revenue window, kept by the refresh",
    """
        -- revenue's person-time needs each person's tier on every day of the last 365 (insights/
        -- person_time.py): tens of seconds at a million people. The refresh keeps the runs of days
        -- (``lo`` inclusive, ``hi`` exclusive, one tier each) and the people they cover; after an
        -- import only the people it touched are computed again, the others' runs are trimmed to the
        -- new window start and extended to its new end (insights/person_days_kept.py). ``state``
        -- (JSON) names the window, the scale and the store counts the runs were computed at. A run
        -- that reaches the window's end is open (``hi`` NULL) and ``lo`` is never trimmed, so a day
        -- that changes nobody's tier writes almost nothing.
        CREATE TABLE IF NOT EXISTS revenue_segments (
            person_id BIGINT NOT NULL, lo TIMESTAMP NOT NULL, hi TIMESTAMP, grp VARCHAR NOT NULL,
            strong BOOLEAN NOT NULL);
        CREATE TABLE IF NOT EXISTS revenue_people (person_id BIGINT NOT NULL, known TIMESTAMP, talk TIMESTAMP);
        CREATE TABLE IF NOT EXISTS revenue_segments_state (state VARCHAR NOT NULL);
    """,
))
MIGRATIONS.append((
    28,
    "score_highs_dates.kept_at: when a date's rows were kept, so runs since that cannot move them keep them",
    """
        -- a first run one window back writes history rows between two scored dates; every one of
        -- them is shadowed at the later date by a row of its key there, so that date's people stay as
        -- they were: the refresh checks the runs since ``kept_at`` instead of composing it again
        -- (insights/score_highs.py, scoring/history.py's history_unchanged_since)
        ALTER TABLE score_highs_dates ADD COLUMN IF NOT EXISTS kept_at TIMESTAMPTZ;
    """,
))
def _history_view(level: str, key: str, scores: str) -> str:
    """The history of ``level`` as readers see it: its stored rows, and the rows of a full run that
    wait in the score table (their date listed in ``history_pending``) until it is rewritten."""
    return f"""
        CREATE OR REPLACE VIEW {level}_history_all AS
        SELECT {key}, as_of, {_RAW_COLUMNS}, removed FROM {level}_history
        UNION ALL
        SELECT {key}, as_of, {_RAW_COLUMNS}, false AS removed FROM {scores}
        WHERE {key} IS NOT NULL AND as_of IN (SELECT as_of FROM history_pending WHERE level = '{level}');"""


MIGRATIONS.append((
    29,
    "a full run's history rows wait in the score tables; readers read connection_history_all / person_history_all",
    """
        -- A full run at the newest date wrote every key's state twice: as history rows and as the
        -- score tables the listings read (0.8 of 6.5 s at 10M heavy-tailed events). Its rows now
        -- stay in the score tables only, the date listed in history_pending; history readers read
        -- the views, stored rows and pending ones; the run that next rewrites the score tables
        -- writes them out first (scoring/history.py, settle_pending).
        CREATE TABLE IF NOT EXISTS history_pending (level VARCHAR NOT NULL, as_of TIMESTAMP NOT NULL);
    """ + _history_view("connection", "connection_id", "connection_scores")
        + _history_view("person", "person_id", "person_scores"),
))


MIGRATIONS.append((
    30,
    "connection_scores.person stored uncompressed: a full run writes its 1.8M handles in 0.25 s, not 0.38 s",
    f"""
        -- The handles are nearly all distinct: DuckDB's dictionary and FSST analysis of them was a
        -- tenth of writing the score table (0.13 of 1.3 s at 10M heavy-tailed events) and saved
        -- about 3% of the file. The table is copied once with the column stored plain.
        CREATE OR REPLACE TABLE connection_scores_plain (
            as_of TIMESTAMP NOT NULL, account VARCHAR NOT NULL, platform VARCHAR NOT NULL,
            person VARCHAR NOT NULL USING COMPRESSION uncompressed, score DOUBLE NOT NULL, tier VARCHAR NOT NULL,
            {_DIMENSION_COLUMNS_V2}, connection_id BIGINT
        );
        INSERT INTO connection_scores_plain BY NAME SELECT * FROM connection_scores;
        DROP TABLE connection_scores;
        ALTER TABLE connection_scores_plain RENAME TO connection_scores;
    """,
))
MIGRATIONS.sort(key=lambda m: m[0])
LATEST = MIGRATIONS[-1][0]
