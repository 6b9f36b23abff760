import { Players } from "@rbxts/services";
import { scoreChanged, submitScore } from "shared/remotes";
import { Scoreboard } from "shared/scoreboard";

const board = new Scoreboard();
const changed = scoreChanged();
const submit = submitScore();

// an async function: awaits a Promise.delay, then a Promise.all
async function settle(name: string, points: number) {
	await Promise.delay(0.05);
	const [a, b] = await Promise.all([Promise.resolve(points), Promise.resolve(1)]);
	return board.add(name, a + b);
}

submit.OnServerInvoke = (player, points) => {
	if (!typeIs(points, "number") || points < 0) {
		throw `bad points from ${player.Name}`;
	}
	const total = settle(player.Name, points).expect();
	changed.FireAllClients(player.Name, total);
	return total;
};

Players.PlayerRemoving.Connect((player) => {
	if (Players.GetPlayers().size() <= 1) {
		print(`final board: ${board.describe()}`);
	}
});

async function main() {
	try {
		await Promise.reject("no reason");
	} catch (e) {
		print(`caught ${(e as string).match("no reason$")[0]}`);
	}
	print("server ready");
}
main();
