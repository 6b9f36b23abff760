export interface Entry {
	name: string;
	score: number;
}

export class Scoreboard {
	private readonly scores = new Map<string, number>();

	add(name: string, points: number) {
		const total = (this.scores.get(name) ?? 0) + points;
		this.scores.set(name, total);
		return total;
	}

	top(): Entry[] {
		const entries: Entry[] = [];
		this.scores.forEach((score, name) => entries.push({ name, score }));
		entries.sort((a, b) => a.score > b.score || (a.score === b.score && a.name < b.name));
		return entries;
	}

	describe() {
		return this.top()
			.map((e, i) => `${i + 1}. ${e.name} {${e.score}}`)
			.join(", ");
	}
}
