using FlowFunctions.Core.Runs;

namespace FlowFunctions.Engine;

/// <summary>A run as stored: its state and the content hash of the spec text it runs.</summary>
/// <param name="State">The run state.</param>
/// <param name="SpecHash">The artifact hash of the spec text (<c>sha256:...</c>).</param>
/// <param name="Engine">Which engine drives the run.</param>
public sealed record RunSnapshot(RunState State, string SpecHash, RunEngine Engine = RunEngine.Native);
