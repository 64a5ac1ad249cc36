namespace FlowFunctions.Engine.Tests.Activities;

/// <summary>
/// A clock that moves only when told. With <see cref="AutoAdvance"/>, arming a timer jumps the clock to its due time
/// and fires it, which lets retry tests run instantly while recording every delay that was waited.
/// </summary>
internal sealed class FakeTimeProvider : TimeProvider
{
    private readonly Lock gate = new();
    private readonly List<FakeTimer> timers = [];
    private readonly List<TimeSpan> waited = [];
    private DateTimeOffset now = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public bool AutoAdvance { get; init; }

    /// <summary>Due times of the timers armed in <see cref="AutoAdvance"/> mode, in order.</summary>
    public IReadOnlyList<TimeSpan> Waited
    {
        get
        {
            lock (gate)
            {
                return [.. waited];
            }
        }
    }

    /// <summary>Timers armed with a finite due time and not yet fired or disposed.</summary>
    public int PendingTimers
    {
        get
        {
            lock (gate)
            {
                return timers.Count(timer => timer.DueAt is not null);
            }
        }
    }

    public override DateTimeOffset GetUtcNow()
    {
        lock (gate)
        {
            return now;
        }
    }

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => GetUtcNow().UtcTicks;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new FakeTimer(this, callback, state);
        lock (gate)
        {
            timers.Add(timer);
        }

        timer.Change(dueTime, period);
        return timer;
    }

    public void Advance(TimeSpan by)
    {
        List<FakeTimer> due;
        lock (gate)
        {
            now += by;
            due = timers.Where(timer => timer.DueAt is { } at && at <= now).ToList();
            foreach (var timer in due)
            {
                timer.DueAt = timer.Period > TimeSpan.Zero ? now + timer.Period : null;
            }
        }

        foreach (var timer in due)
        {
            timer.Fire();
        }
    }

    private void Arm(FakeTimer timer, TimeSpan dueTime, TimeSpan period)
    {
        bool fireNow;
        lock (gate)
        {
            timer.Period = period == Timeout.InfiniteTimeSpan ? TimeSpan.Zero : period;
            if (dueTime == Timeout.InfiniteTimeSpan)
            {
                timer.DueAt = null;
                return;
            }

            fireNow = AutoAdvance;
            if (fireNow)
            {
                waited.Add(dueTime);
                now += dueTime;
                timer.DueAt = null;
            }
            else
            {
                timer.DueAt = now + dueTime;
            }
        }

        if (fireNow)
        {
            // Not inline: the caller has not finished creating the timer yet.
            ThreadPool.QueueUserWorkItem(_ => timer.Fire());
        }
    }

    private void Remove(FakeTimer timer)
    {
        lock (gate)
        {
            timers.Remove(timer);
        }
    }

    private sealed class FakeTimer(FakeTimeProvider owner, TimerCallback callback, object? state) : ITimer
    {
        private bool disposed;

        public DateTimeOffset? DueAt { get; set; }

        public TimeSpan Period { get; set; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            if (disposed)
            {
                return false;
            }

            owner.Arm(this, dueTime, period);
            return true;
        }

        public void Fire()
        {
            if (!disposed)
            {
                callback(state);
            }
        }

        public void Dispose()
        {
            disposed = true;
            owner.Remove(this);
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
