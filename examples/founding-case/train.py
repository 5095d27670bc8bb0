"""Fine-tune Gemma 2 9B on Alpaca with Unsloth + QLoRA.

Reproduces July 2024's Gemma 2 recipe from Unsloth's Colab notebook as a plain
script: 4-bit base model, LoRA r=16 on all seven projections, TRL SFTTrainer.
"""
from unsloth import FastLanguageModel
from datasets import load_dataset
from transformers import TrainingArguments
from trl import SFTTrainer

max_seq_length = 2048

model, tokenizer = FastLanguageModel.from_pretrained(
    model_name="unsloth/gemma-2-9b-bnb-4bit",
    max_seq_length=max_seq_length,
    dtype=None,
    load_in_4bit=True,
)

model = FastLanguageModel.get_peft_model(
    model,
    r=16,
    target_modules=["q_proj", "k_proj", "v_proj", "o_proj",
                    "gate_proj", "up_proj", "down_proj"],
    lora_alpha=16,
    lora_dropout=0,
    bias="none",
    use_gradient_checkpointing="unsloth",
    random_state=3407,
)

prompt = "### Instruction:\n{}\n\n### Input:\n{}\n\n### Response:\n{}"
dataset = load_dataset("yahma/alpaca-cleaned", split="train")
dataset = dataset.map(lambda ex: {"text": [
    prompt.format(i, x, o) + tokenizer.eos_token
    for i, x, o in zip(ex["instruction"], ex["input"], ex["output"])
]}, batched=True)

trainer = SFTTrainer(
    model=model,
    tokenizer=tokenizer,
    train_dataset=dataset,
    dataset_text_field="text",
    max_seq_length=max_seq_length,
    args=TrainingArguments(
        per_device_train_batch_size=2,
        gradient_accumulation_steps=4,
        warmup_steps=5,
        max_steps=60,
        learning_rate=2e-4,
        logging_steps=1,
        optim="adamw_8bit",
        seed=3407,
        output_dir="outputs",
    ),
)
trainer.train()
