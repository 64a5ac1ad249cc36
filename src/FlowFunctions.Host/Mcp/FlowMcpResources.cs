using System.ComponentModel;
using FlowFunctions.Engine;
using FlowFunctions.Host.Api;
using ModelContextProtocol;
using ModelContextProtocol.Server;

namespace FlowFunctions.Host.Mcp;

/// <summary>Resources by URI: registered workflow specs (<c>flow://workflows/{name}</c>, a version with <c>/{version}</c>) and run documents (<c>flow://runs/{runId}</c>).</summary>
[McpServerResourceType]
internal sealed class FlowMcpResources(FlowEngine engine, WorkflowRegistry registry, IMcpCaller caller, McpCallGate gate)
{
    [McpServerResource(UriTemplate = "flow://workflows/{name}", Name = "workflow", MimeType = "text/plain")]
    [Description("The spec text (YAML or JSON, as registered) of a workflow's latest version.")]
    public Task<string> Workflow(string name, CancellationToken ct) => SpecAsync(name, null, ct);

    [McpServerResource(UriTemplate = "flow://workflows/{name}/{version}", Name = "workflow-version", MimeType = "text/plain")]
    [Description("The spec text of one version of a registered workflow.")]
    public Task<string> WorkflowVersion(string name, int version, CancellationToken ct) => SpecAsync(name, version, ct);

    [McpServerResource(UriTemplate = "flow://runs/{runId}", Name = "run", MimeType = "application/json")]
    [Description("A run's document (status, inputs, outputs, every node), as get_run and GET /api/runs/{id} answer it.")]
    public async Task<string> Run(string runId, CancellationToken ct)
    {
        Admit();
        var run = await RunApi.LoadAsync(engine, runId, ct) ?? throw new McpProtocolException($"no run '{runId}'", McpErrorCode.ResourceNotFound);
        return RunViews.Document(run).ToJsonString();
    }

    private async Task<string> SpecAsync(string name, int? version, CancellationToken ct)
    {
        Admit();
        return (await registry.GetSpecAsync(name, version, ct))?.Text
            ?? throw new McpProtocolException(version is null ? $"no workflow '{name}' is registered" : $"workflow '{name}' has no version {version}", McpErrorCode.ResourceNotFound);
    }

    /// <summary>A read needs the reader role and passes the caller's rate limit, like a tool call.</summary>
    private void Admit()
    {
        caller.Require(ApiRole.Reader, "resources/read");
        if (gate.Admit(caller.Current.Actor, "resources/read") is { } refused)
        {
            throw new McpException(refused);
        }
    }
}
