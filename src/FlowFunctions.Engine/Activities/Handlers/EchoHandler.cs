using System.Text.Json.Nodes;

namespace FlowFunctions.Engine.Activities.Handlers;

/// <summary><c>echo</c>: the output is the input.</summary>
internal sealed class EchoHandler : IActivityHandler
{
    public string NodeType => "echo";

    public Task<JsonNode?> ExecuteAsync(ActivityExecution execution, CancellationToken cancellationToken) =>
        Task.FromResult(execution.Input?.DeepClone());
}
