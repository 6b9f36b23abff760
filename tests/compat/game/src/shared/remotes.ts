import { ReplicatedStorage, RunService } from "@rbxts/services";

// A RemoteEvent and a RemoteFunction made by the server, found by the clients.
function remote<T extends "RemoteEvent" | "RemoteFunction">(className: T, name: string) {
	if (RunService.IsServer()) {
		const instance = new Instance(className);
		instance.Name = name;
		instance.Parent = ReplicatedStorage;
		return instance as Instances[T];
	}
	return ReplicatedStorage.WaitForChild(name) as Instances[T];
}

export const scoreChanged = () => remote("RemoteEvent", "ScoreChanged");
export const submitScore = () => remote("RemoteFunction", "SubmitScore");
