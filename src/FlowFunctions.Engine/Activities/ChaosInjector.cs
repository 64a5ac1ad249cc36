using System.Text.Json.Nodes;
using FlowFunctions.Core.Runs;
using FlowFunctions.Core.Specs;
using Polly;
using Polly.Simmy;
using Polly.Simmy.Fault;
using Polly.Simmy.Latency;
using Polly.Simmy.Outcomes;

namespace FlowFunctions.Engine.Activities;

/// <summary>
/// The innermost layer, around the handler call itself (tests and drills only): Polly's chaos strategies per
/// <see cref="ChaosRule"/>, latency first, then a fault or an HTTP outcome. Being inside the execution, an injected
/// failure counts as an execution and is classified like a real one, and injected latency runs under the timeout
/// stage's token, so latency over the timeout is a real timeout.
/// </summary>
internal sealed class ChaosInjector
{
    /// <summary>The message of an injected fault.</summary>
    public const string FaultMessage = "chaos: injected fault";

    private readonly (ChaosRule Rule, ResiliencePipeline<JsonNode?> Pipeline)[] rules;

    public ChaosInjector(ChaosOptions options, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        rules = [.. options.Rules.Select(rule => (rule, Build(rule, timeProvider, options.Randomizer)))];
    }

    /// <summary>Runs the handler through the first matching rule's chaos, or directly when none matches.</summary>
    public async Task<JsonNode?> ExecuteAsync(IActivityHandler handler, ActivityExecution execution, CancellationToken cancellationToken)
    {
        var request = execution.Request;
        // Rules compare their Key with the default circuit breaker key (the URL host of an http node, else the node type).
        var key = rules.Length == 0 ? string.Empty : CircuitBreakerPolicy.DefaultKey(request.NodeType, request.Input);
        foreach (var (rule, pipeline) in rules)
        {
            if (rule.Matches(request.NodeType, key))
            {
                return await pipeline.ExecuteAsync(
                    static async (state, token) => await state.handler.ExecuteAsync(state.execution, token),
                    (handler, execution),
                    cancellationToken);
            }
        }

        return await handler.ExecuteAsync(execution, cancellationToken);
    }

    private static ResiliencePipeline<JsonNode?> Build(ChaosRule rule, TimeProvider timeProvider, Func<double>? random)
    {
        var builder = new ResiliencePipelineBuilder<JsonNode?> { TimeProvider = timeProvider };
        if (rule.LatencyRate > 0)
        {
            builder.AddChaosLatency(WithRandomizer(new ChaosLatencyStrategyOptions { InjectionRate = rule.LatencyRate, Latency = rule.Latency }, random));
        }

        if (rule.FaultRate > 0)
        {
            builder.AddChaosFault(WithRandomizer(
                new ChaosFaultStrategyOptions
                {
                    InjectionRate = rule.FaultRate,
                    FaultGenerator = _ => ValueTask.FromResult<Exception?>(new ActivityException(FaultMessage, ErrorClass.Transient)),
                },
                random));
        }

        if (rule.OutcomeRate > 0)
        {
            var status = rule.Outcome;
            builder.AddChaosOutcome(WithRandomizer(
                new ChaosOutcomeStrategyOptions<JsonNode?>
                {
                    InjectionRate = rule.OutcomeRate,
                    OutcomeGenerator = _ => ValueTask.FromResult<Outcome<JsonNode?>?>(Outcome.FromException<JsonNode?>(
                        new ActivityException($"chaos: injected HTTP {status}", ErrorClassifier.ClassOf(status)) { Kind = ErrorKind.HttpStatus, Status = status })),
                },
                random));
        }

        return builder.Build();
    }

    /// <summary>The injected source when there is one; Polly's thread-safe default otherwise.</summary>
    private static T WithRandomizer<T>(T options, Func<double>? random)
        where T : ChaosStrategyOptions
    {
        if (random is not null)
        {
            options.Randomizer = random;
        }

        return options;
    }
}
