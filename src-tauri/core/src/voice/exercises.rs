//! The built-in guided exercises, written for Serene. Each step is spoken once (one speech
//! request), then its time runs on screen; breathing steps carry the rhythm the visual
//! follows. A step's text stays short of every model's per-request limit.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
#[serde(rename_all = "camelCase")]
pub struct Breathing {
    pub inhale: u32,
    pub hold: u32,
    pub exhale: u32,
    pub rest: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(optional_fields)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    pub say: &'static str,
    /// How long the step lasts on screen, counted from the start of its speech.
    pub seconds: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub breathing: Option<Breathing>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(optional_fields)]
#[serde(rename_all = "camelCase")]
pub struct Exercise {
    pub id: &'static str,
    pub title: &'static str,
    pub summary: &'static str,
    pub steps: &'static [Step],
}

impl Exercise {
    /// Characters of speech the whole exercise uses: what it costs on the ElevenLabs quota.
    pub fn character_cost(&self) -> usize {
        self.steps.iter().map(|s| s.say.chars().count()).sum()
    }

    pub fn total_seconds(&self) -> u32 {
        self.steps.iter().map(|s| s.seconds).sum()
    }
}

const BOX: Breathing = Breathing {
    inhale: 4,
    hold: 4,
    exhale: 4,
    rest: 4,
};

const fn say(say: &'static str, seconds: u32) -> Step {
    Step {
        say,
        seconds,
        breathing: None,
    }
}

const fn breathe(say: &'static str, seconds: u32, breathing: Breathing) -> Step {
    Step {
        say,
        seconds,
        breathing: Some(breathing),
    }
}

pub const EXERCISES: &[Exercise] = &[
    Exercise {
        id: "box-breathing",
        title: "Box breathing",
        summary: "Four slow counts in, hold, out, hold. Steadies the body when things feel like too much.",
        steps: &[
            say("Let's slow your breathing together. Sit or lie comfortably, and let your shoulders drop. If anything feels uncomfortable, simply breathe normally.", 14),
            breathe("Breathe in gently through your nose for four counts. Hold for four. Breathe out slowly for four. Then rest for four. Follow the square on your screen.", 64, BOX),
            breathe("Good. Keep going at the same pace. If your mind wanders, that's fine: just come back to the count.", 64, BOX),
            breathe("One more round. Let each breath out be a little softer than the last.", 64, BOX),
            say("Now let your breathing return to its own rhythm. Notice how your body feels. You can come back to this whenever you need it.", 12),
        ],
    },
    Exercise {
        id: "grounding-54321",
        title: "5-4-3-2-1 grounding",
        summary: "Uses your senses to bring you back to the here and now.",
        steps: &[
            say("This exercise brings your attention back to the present, using your senses. There are no wrong answers. Take your time with each one.", 12),
            say("Look around you, and name five things you can see. Notice their colours and shapes.", 25),
            say("Now notice four things you can feel. Your feet on the floor, the fabric of your clothes, the air on your skin.", 25),
            say("Listen for three things you can hear. Near or far, loud or quiet.", 25),
            say("Notice two things you can smell. If nothing comes, remember a smell you like.", 20),
            say("And one thing you can taste, or one kind thing you can say to yourself.", 20),
            say("Take a slow breath. You are here, in this moment. Well done.", 10),
        ],
    },
    Exercise {
        id: "muscle-relaxation",
        title: "Progressive muscle relaxation",
        summary: "Tense, then release, one part of the body at a time.",
        steps: &[
            say("We'll gently tense and then release different muscles. Tense only as much as feels comfortable, and skip any part that hurts.", 12),
            say("Make fists with both hands. Hold the tension for a few seconds. And release. Notice the difference as your hands soften.", 20),
            say("Now bring your shoulders up towards your ears. Hold. And let them drop. Feel the weight leave them.", 20),
            say("Scrunch up your face: eyes, forehead, jaw. Hold. And let it all go smooth.", 20),
            say("Tighten your stomach muscles. Hold. And release, letting your breath flow freely.", 20),
            say("Press your feet into the floor and tense your legs. Hold. And relax them completely.", 20),
            say("Now let your whole body rest. Breathe slowly, and enjoy the feeling of letting go.", 15),
        ],
    },
    Exercise {
        id: "body-scan",
        title: "Short body scan",
        summary: "A few quiet minutes noticing the body, from head to feet.",
        steps: &[
            say("Find a comfortable position and, if you like, close your eyes. We'll move our attention slowly through the body, just noticing, without changing anything.", 14),
            say("Start at the top of your head. Notice your forehead, your eyes, your jaw. If there's tension, let it soften.", 25),
            say("Move down to your neck and shoulders. Notice any tightness, and breathe into it.", 25),
            say("Now your arms and hands. Feel their weight, their warmth, any tingling.", 25),
            say("Bring your attention to your chest and stomach, rising and falling with each breath.", 25),
            say("Now your hips, your legs, all the way down to your feet.", 25),
            say("Take in your whole body at once. Breathe in, and breathe out. When you're ready, gently open your eyes.", 12),
        ],
    },
];

/// An exercise as the page lists it, with what it costs and how long it takes.
#[derive(Debug, Clone, Copy, Serialize, ts_rs::TS)]
#[ts(export, optional_fields)]
#[serde(rename_all = "camelCase")]
pub struct ExerciseView {
    #[serde(flatten)]
    pub exercise: &'static Exercise,
    pub character_cost: usize,
    pub total_seconds: u32,
}

pub fn catalogue() -> Vec<ExerciseView> {
    EXERCISES
        .iter()
        .map(|exercise| ExerciseView {
            exercise,
            character_cost: exercise.character_cost(),
            total_seconds: exercise.total_seconds(),
        })
        .collect()
}

pub fn find(id: &str) -> Option<&'static Exercise> {
    EXERCISES.iter().find(|e| e.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_four_required_exercises_are_there() {
        for id in [
            "box-breathing",
            "grounding-54321",
            "muscle-relaxation",
            "body-scan",
        ] {
            assert!(find(id).is_some(), "{id}");
        }
        assert!(find("nope").is_none());
    }

    #[test]
    fn every_step_fits_the_smallest_model_limit_and_the_breathing_fits_its_step() {
        for exercise in EXERCISES {
            assert!(
                exercise.steps.len() <= 8,
                "{} has too many requests",
                exercise.id
            );
            for step in exercise.steps {
                assert!(step.say.chars().count() <= 300);
                assert!(step.seconds >= 8);
                if let Some(b) = step.breathing {
                    let cycle = b.inhale + b.hold + b.exhale + b.rest;
                    assert_eq!(step.seconds % cycle, 0, "whole cycles in {}", exercise.id);
                }
            }
        }
    }

    #[test]
    fn cost_is_the_characters_spoken() {
        let exercise = find("grounding-54321").unwrap();
        let expected: usize = exercise.steps.iter().map(|s| s.say.len()).sum();
        assert_eq!(exercise.character_cost(), expected);
        assert!(exercise.character_cost() > 0);
    }
}
