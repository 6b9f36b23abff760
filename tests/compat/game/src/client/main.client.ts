import { Players } from "@rbxts/services";
import { scoreChanged, submitScore } from "shared/remotes";

const me = Players.LocalPlayer;
const seen = new Set<string>();
scoreChanged().OnClientEvent.Connect((name: string, total: number) => {
	if (name === me.Name) seen.add(`${name}=${total}`);
});

async function play() {
	const points = tonumber(me.Name.sub(-1))! * 10; // Player1 scores 10, Player2 20
	const total = submitScore().InvokeServer(points) as number;
	try {
		submitScore().InvokeServer(-1);
	} catch (err) {
		print(`refused: ${(err as string).find("bad points")[0] !== undefined}`);
	}
	while (seen.size() === 0) task.wait(0.02);
	return total;
}

play().then((total) => print(`${me.Name} total ${total}, seen ${[...seen].join(",")}`));
