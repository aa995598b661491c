using System.Diagnostics;
using System.Text.Json;
using NetBlocks.DesignSpace;
using NetBlocks.Tests.Analysis;
using NetBlocks.Tests.Cli;
using NetBlocks.Tests.Data;

namespace NetBlocks.Tests.DesignSpace;

/// <summary>`netblocks sweep …` end to end: real training on a tiny generated IDX dataset, reports, and the errors users meet.</summary>
[Collection(DrawsDefaultRandomCollection.Name)]
public sealed class SweepCliTests : IDisposable
{
    private readonly TempDir dir = new();
    private string Store => dir["sweeps.db"];

    public void Dispose() => dir.Dispose();

    /// <summary>Writes a Fashion-MNIST look-alike (raw IDX under the canonical names) with train/test images.</summary>
    private string TinyData(int train, int test)
    {
        var data = Directory.CreateDirectory(dir["data"]).FullName;
        var (trX, trY) = DataTestSupport.Synthetic(train);
        var (teX, teY) = DataTestSupport.Synthetic(test);
        File.WriteAllBytes(Path.Combine(data, "train-images-idx3-ubyte"), DataTestSupport.IdxBytes([train, 28, 28], trX));
        File.WriteAllBytes(Path.Combine(data, "train-labels-idx1-ubyte"), DataTestSupport.IdxBytes([train], trY));
        File.WriteAllBytes(Path.Combine(data, "t10k-images-idx3-ubyte"), DataTestSupport.IdxBytes([test, 28, 28], teX));
        File.WriteAllBytes(Path.Combine(data, "t10k-labels-idx1-ubyte"), DataTestSupport.IdxBytes([test], teY));
        return data;
    }

    [Fact]
    public void A_small_real_sweep_trains_reports_and_summarises_as_json()
    {
        var data = TinyData(96, 48);
        var create = CliRunner.Run("sweep", "create", "tiny", "--space", "anynetx-e", "--samples", "3", "--epochs", "1", "--resize", "16",
            "--limit-train", "0", "--limit-val", "0", "--batch", "32", "--widths", "8..32", "--max-depth", "2", "--store", Store);
        Assert.True(create.Code == 0, create.Err);
        Assert.Contains("sweep tiny: 3 models of anynetx-e recorded in", create.Out);

        var run = CliRunner.Run("sweep", "run", "tiny", "--workers", "2", "--data", data, "--no-verify", "--store", Store);
        Assert.True(run.Code == 0, run.Err);
        Assert.Contains("this run: 3 completed, 0 to retry, 0 failed", run.Out);

        var status = CliRunner.Run("sweep", "status", "tiny", "--store", Store);
        Assert.Contains("3 trials: 3 done, 0 running, 0 pending, 0 failed", status.Out);
        Assert.Contains("best so far:", status.Out);

        var outDir = dir["report"];
        var report = CliRunner.Run("sweep", "report", "tiny", "--out", outDir, "--json", "--store", Store);
        Assert.True(report.Code == 0, report.Err);
        using var json = JsonDocument.Parse(report.Out);
        var sweep = json.RootElement.GetProperty("sweeps")[0];
        Assert.Equal(("tiny", "anynetx-e", 3, 3, 0), (sweep.GetProperty("name").GetString(), sweep.GetProperty("space").GetString(),
            sweep.GetProperty("n").GetInt32(), sweep.GetProperty("done").GetInt32(), sweep.GetProperty("failed").GetInt32()));
        var edf = sweep.GetProperty("edf").EnumerateArray().Select(p => (p[0].GetDouble(), p[1].GetDouble())).ToList();
        Assert.Equal(1.0, edf[^1].Item2);
        Assert.All(edf, p => Assert.InRange(p.Item1, 0, 1));
        var best = sweep.GetProperty("best")[0];
        Assert.Equal(edf[0].Item1, best.GetProperty("error").GetDouble());
        Assert.StartsWith("anynet:", best.GetProperty("spec").GetString());

        // The trial curve and error are the trainer's: 1 − the last epoch's validation accuracy.
        using (var store = new SqliteTrialStore(Store))
            Assert.All(store.Trials("tiny"), t => Assert.Equal(1 - Assert.Single(t.Curve).ValAccuracy, t.Error!.Value, 9));

        var html = File.ReadAllText(Path.Combine(outDir, "report.html"));
        Assert.Contains("<svg", html);
        Assert.Contains("Error distributions (EDF)", html);
        Assert.DoesNotContain("<script", html);
        Assert.DoesNotContain("src=", html);
        Assert.DoesNotContain("<link", html);
        Assert.True(File.Exists(Path.Combine(outDir, "edf.svg")) && File.Exists(Path.Combine(outDir, "edf.png")));
        Assert.True(File.Exists(Path.Combine(outDir, "error-vs-w1.png")));
    }

    [Fact]
    public void A_trial_whose_validation_loss_overflows_is_done_with_chance_level_error_not_retried()
    {
        // One SGD step per epoch at lr 1e6 leaves a finite training loss but weights so large that the validation loss
        // overflows: the trainer records the epoch, and the trial is a diverged result (a bad model), not a failure. The
        // second epoch is not trained (its first step would fail with a NaN loss: the message would name step 2).
        var data = TinyData(32, 32);
        var create = CliRunner.Run("sweep", "create", "wild", "--space", "anynetx-e", "--samples", "2", "--epochs", "2", "--resize", "16",
            "--limit-train", "32", "--limit-val", "32", "--batch", "32", "--lr", "1e6", "--widths", "8..16", "--max-depth", "1", "--store", Store);
        Assert.True(create.Code == 0, create.Err);
        var run = CliRunner.Run("sweep", "run", "wild", "--data", data, "--no-verify", "--store", Store);
        Assert.True(run.Code == 0, run.Err);
        Assert.Contains("this run: 2 completed, 0 to retry, 0 failed, 0 lost claims, 0 handed back, 2 diverged (chance-level error)", run.Out);
        using var store = new SqliteTrialStore(Store);
        Assert.All(store.Trials("wild"), t =>
        {
            Assert.Equal((TrialStatus.Done, 1, true, 0.9), (t.Status, t.Attempts, t.Diverged, t.Error!.Value));
            Assert.Matches("^diverged: epoch 1 ended with training loss [0-9.E+]+ and validation loss (NaN|∞|Infinity)$", t.Message);
            Assert.Empty(t.Curve); // the one epoch was not finite
        });
        var report = CliRunner.Run("sweep", "report", "wild", "--out", dir["wild-report"], "--json", "--store", Store);
        Assert.True(report.Code == 0, report.Err);
        using var json = JsonDocument.Parse(report.Out);
        var sweep = json.RootElement.GetProperty("sweeps")[0];
        Assert.Equal(2, sweep.GetProperty("done").GetInt32()); // both stay in the EDF
        Assert.Equal(2, sweep.GetProperty("diverged").GetInt32());
        Assert.All(sweep.GetProperty("trials").EnumerateArray(), t => Assert.True(t.GetProperty("diverged").GetBoolean()));
        var status = CliRunner.Run("sweep", "status", "wild", "--store", Store);
        Assert.True(status.Code == 0, status.Err);
        Assert.Contains("2 trials: 2 done (2 diverged: chance-level error), 0 running, 0 pending, 0 failed", status.Out);
    }

    [Fact]
    public void A_worker_with_unreadable_data_claims_nothing_and_exits_non_zero()
    {
        var data = Directory.CreateDirectory(dir["garbage"]).FullName;
        foreach (var f in new[] { "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte" })
            File.WriteAllText(Path.Combine(data, f), "not an IDX file");
        Assert.Equal(0, CliRunner.Run("sweep", "create", "env", "--space", "regnet", "--samples", "3", "--max-attempts", "1", "--store", Store).Code);
        var run = CliRunner.Run("sweep", "run", "env", "--data", data, "--no-verify", "--store", Store);
        Assert.Equal(1, run.Code);
        Assert.StartsWith($"error: this worker cannot train sweep env, so it claimed no trial: cannot read the training data: {Path.Combine(data, "train-images-idx3-ubyte")}", run.Err);
        Assert.Equal("", run.Out); // no trial, no summary
        using var store = new SqliteTrialStore(Store);
        Assert.All(store.Trials("env"), t => Assert.Equal((TrialStatus.Pending, 0), (t.Status, t.Attempts)));
    }

    [Fact]
    public void Retry_requeues_the_failed_trials_and_a_run_then_finishes_the_sweep()
    {
        Assert.Equal(0, CliRunner.Run("sweep", "create", "r", "--space", "regnet", "--samples", "3", "--max-attempts", "1", "--store", Store).Code);
        using (var store = new SqliteTrialStore(Store))
        {
            var claims = Enumerable.Range(0, 2).Select(_ => store.Claim("r", "w", TimeSpan.FromMinutes(10))!).ToList();
            Assert.All(claims, c => Assert.Equal(TrialStatus.Failed, store.Fail(c, "IOException: the data folder vanished")));
        }
        var status = CliRunner.Run("sweep", "status", "--store", Store);
        Assert.Contains("r: regnet, 3 trials: 0 done, 0 running, 1 pending, 2 failed", status.Out);

        var retry = CliRunner.Run("sweep", "retry", "r", "--store", Store);
        Assert.Equal((0, ""), (retry.Code, retry.Err));
        Assert.Equal("sweep r: re-queued 2 failed trial(s); 3 pending, 0 done, 0 running. Train them with: netblocks sweep run r\n", retry.Out);
        var run = CliRunner.Run("sweep", "run", "r", "--simulate", "1", "--store", Store);
        Assert.Contains("this run: 3 completed, 0 to retry, 0 failed", run.Out);
        Assert.Equal("sweep r: no failed trials to re-queue (3 done, 0 pending, 0 running)\n", CliRunner.Run("sweep", "retry", "r", "--store", Store).Out);

        var unknown = CliRunner.Run("sweep", "retry", "nope", "--store", Store);
        Assert.Equal((1, $"error: no sweep 'nope' in {Store} (sweeps: r)\n"), (unknown.Code, unknown.Err));
        var noStore = CliRunner.Run("sweep", "retry", "r", "--store", dir["nothing.db"]);
        Assert.StartsWith($"error: no sweep store at {dir["nothing.db"]}", noStore.Err);
    }

    [Fact]
    public void Reports_on_unfinished_sweeps_say_so()
    {
        Assert.Equal(0, CliRunner.Run("sweep", "create", "half", "--space", "regnet", "--samples", "2", "--store", Store).Code);
        var r = CliRunner.Run("sweep", "report", "half", "--out", dir["r"], "--store", Store);
        Assert.Equal(0, r.Code);
        Assert.Contains("warning: sweep half is unfinished: 2 pending and 0 running of 2", r.Out);
        Assert.Contains("sweep half is unfinished", File.ReadAllText(Path.Combine(dir["r"], "report.html")));
    }

    [Theory]
    [InlineData("error: unknown design space 'anynetx-f'; choose one of anynetx-a, anynetx-b", "--space", "anynetx-f", "--samples", "2")]
    [InlineData("error: --macs '9M..1M' is empty: the lower bound 9M is above the upper bound 1M; swap them", "--space", "anynetx-a", "--samples", "2", "--macs", "9M..1M")]
    [InlineData("error: no model of regnet fits 1G..2G MACs after 200 draws; widen --macs (models in this space range from", "--space", "regnet", "--samples", "2", "--macs", "1G..2G", "--draws", "200")]
    [InlineData("error: --samples must be at least 1, got 0", "--space", "regnet", "--samples", "0")]
    [InlineData("error: --stages 3..2 is empty: 3 > 2; swap the bounds", "--space", "regnet", "--samples", "2", "--stages", "3..2")]
    public void Bad_create_options_say_what_to_change(string expected, params string[] options)
    {
        var r = CliRunner.Run(["sweep", "create", "bad", .. options, "--store", Store]);
        Assert.Equal(1, r.Code);
        Assert.StartsWith(expected, r.Err);
    }

    [Fact]
    public void A_sweep_name_that_exists_and_unknown_sweeps_are_clear_errors()
    {
        Assert.Equal(0, CliRunner.Run("sweep", "create", "one", "--space", "anynetx-b", "--samples", "2", "--store", Store).Code);
        var again = CliRunner.Run("sweep", "create", "one", "--space", "anynetx-b", "--samples", "2", "--store", Store);
        Assert.Equal(1, again.Code);
        Assert.Contains("error: sweep 'one' already exists in", again.Err);
        var missing = CliRunner.Run("sweep", "run", "two", "--store", Store);
        Assert.Equal("error: no sweep 'two' in " + Store + " (sweeps: one)\n", missing.Err);
        var noStore = CliRunner.Run("sweep", "status", "x", "--store", dir["nothing.db"]);
        Assert.StartsWith("error: no sweep store at", noStore.Err);
    }

    [Theory]
    [InlineData("postgres://u:secret@127.0.0.1:1/db", "error: cannot reach PostgreSQL at 127.0.0.1:1 (")]
    [InlineData("postgres://127.0.0.1/db", "error: 'postgres://127.0.0.1/db' names no user; write postgres://user:password@host:port/database")]
    [InlineData("mysql://u:p@h/db", "error: unsupported store 'mysql://u:***@h/db': give a SQLite file path")]
    public void Bad_store_urls_say_what_to_fix(string url, string expected)
    {
        var r = CliRunner.Run("sweep", "status", "--store", url);
        Assert.Equal(1, r.Code);
        Assert.StartsWith(expected, r.Err);
        Assert.DoesNotContain("secret", r.Err);
    }

    [PostgresFact]
    public void Wrong_postgres_password_or_database_is_named()
    {
        var url = PostgresTrialStoreTests.Url!;
        var b = PostgresTrialStore.ParseUrl(url, out _);
        var wrongPassword = CliRunner.Run("sweep", "status", "--store", $"postgres://{b.Username}:wrong@{b.Host}:{b.Port}/{b.Database}");
        Assert.StartsWith($"error: PostgreSQL at {b.Host}:{b.Port} refused user '{b.Username}'", wrongPassword.Err);
        var noDb = CliRunner.Run("sweep", "status", "--store", $"postgres://{b.Username}:{b.Password}@{b.Host}:{b.Port}/no_such_db_x");
        Assert.StartsWith("error: database 'no_such_db_x' does not exist", noDb.Err);
    }
}

/// <summary>
/// Worker processes (`dotnet NetBlocks.Cli.dll sweep run … --simulate MS`) sharing one store; one is killed mid-trial. Its
/// claim expires and another worker finishes the trial: every trial ends done exactly once, none runs to completion twice.
/// </summary>
public sealed class SweepWorkerProcessTests : IDisposable
{
    private readonly TempDir dir = new();

    public void Dispose() => dir.Dispose();

    [Fact]
    public void Sqlite_three_processes_one_killed() => KillOneOfThree(dir["sweeps.db"]);

    [PostgresFact]
    public void Postgres_three_processes_one_killed()
    {
        var url = PostgresTrialStoreTests.Url!;
        var schema = "p_" + Guid.NewGuid().ToString("N")[..12];
        try { KillOneOfThree(url + "?schema=" + schema); }
        finally
        {
            using var source = Npgsql.NpgsqlDataSource.Create(PostgresTrialStore.ParseUrl(url, out _));
            using var cmd = source.CreateCommand($"DROP SCHEMA IF EXISTS \"{schema}\" CASCADE");
            cmd.ExecuteNonQuery();
        }
    }

    /// <summary>
    /// Deterministic under any load: the victim (lease 1 s) is killed once the store shows it holding a trial that would
    /// run for ten minutes, so it never finishes one; the two others, started then, hold leases of ten minutes, so none of
    /// their claims can expire however slow the machine. The only claim that expires is the killed worker's, and the
    /// others wait for it to expire and take the trial over. The time limits are hang guards only.
    /// </summary>
    private void KillOneOfThree(string storeUrl)
    {
        const int Trials = 6;
        var models = Enumerable.Range(0, Trials).Select(i => new SampledModel(i, $"anynet:stem=16,1x{8 * (i + 1)}", new Dictionary<string, double>(), 1, 1)).ToList();
        using var store = TrialStores.Open(storeUrl);
        store.CreateSweep(new SweepDefinition("mp", SpaceKind.AnyNetXA, new TrialSettings()) { MaxAttempts = 3 }, models);
        var log = dir["completions.log"];
        var cli = Path.Combine(AppContext.BaseDirectory, "NetBlocks.Cli.dll");
        Process Start(string lease, string milliseconds) => Process.Start(new ProcessStartInfo("dotnet")
        {
            ArgumentList = { cli, "sweep", "run", "mp", "--store", storeUrl, "--lease", lease, "--simulate", milliseconds, "--simulate-log", log },
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        })!;
        var victim = Start("1", "600000");
        var others = new List<Process>();
        try
        {
            // Wait until the victim holds a trial (a condition in the store, not a time), kill it, then start the others.
            TrialRecord? held = null;
            var guard = Stopwatch.StartNew();
            while (held is null)
            {
                Assert.False(victim.HasExited, "the victim worker exited before claiming a trial: " + (victim.HasExited ? victim.StandardError.ReadToEnd() : ""));
                Assert.True(guard.Elapsed < TimeSpan.FromMinutes(5), "the victim worker claimed no trial in 5 minutes");
                held = store.Trials("mp").FirstOrDefault(t => t.Status == TrialStatus.Running && t.Worker!.Contains($"/{victim.Id}/"));
                if (held is null) Thread.Sleep(50);
            }
            victim.Kill(entireProcessTree: true);
            victim.WaitForExit();
            others.Add(Start("600", "300"));
            others.Add(Start("600", "300"));
            foreach (var p in others) Assert.True(p.WaitForExit(TimeSpan.FromMinutes(5)), "a worker did not finish in 5 minutes");
            foreach (var p in others) Assert.True(p.ExitCode == 0, p.StandardError.ReadToEnd());

            var trials = store.Trials("mp");
            Assert.All(trials, t => Assert.Equal(TrialStatus.Done, t.Status));
            Assert.All(trials, t => Assert.Equal(SimulatedTrialRunner.ErrorOf(t.Spec), t.Error!.Value, 12));
            var retried = trials.Single(t => t.Id == held.Id);
            Assert.Equal(2, retried.Attempts);
            Assert.DoesNotContain($"/{victim.Id}/", retried.Worker);
            Assert.Contains("expired", retried.Message);
            Assert.All(trials.Where(t => t.Id != held.Id), t => Assert.Equal(1, t.Attempts));
            // Each trial ran to completion exactly once (the killed attempt never finished).
            var finished = File.ReadAllLines(log).Select(l => long.Parse(l.Split(' ')[0])).ToList();
            Assert.Equal(trials.Select(t => t.Id).Order(), finished.Order());
        }
        finally
        {
            foreach (var p in others.Append(victim)) { if (!p.HasExited) p.Kill(true); p.Dispose(); }
        }
    }
}
